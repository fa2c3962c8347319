//! The navigation bar shown on every page.

use leptos::prelude::*;
use leptos_router::components::A;

/// Site navigation. On narrow screens the links fold behind a menu button.
#[component]
pub fn NavBar() -> impl IntoView {
    let (open, set_open) = signal(false);

    view! {
        <header class="nav">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <A href="/" attr:class="brand">"Gatehouse"</A>
            <button
                class="nav-toggle"
                type="button"
                aria-controls="nav-links"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| set_open.update(|open| *open = !*open)
            >
                <span class="sr-only">"Menu"</span>
                <span aria-hidden="true">"☰"</span>
            </button>
            <nav id="nav-links" class="nav-links" class:open=open aria-label="Main">
                <A href="/">"Home"</A>
            </nav>
        </header>
    }
}
