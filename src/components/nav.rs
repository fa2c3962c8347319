//! The navigation bar shown on every page.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};

use crate::auth::use_auth;

/// Site navigation: "Signed in as {name}" and Sign out, or Sign in / Sign up. On narrow
/// screens the links fold behind a menu button.
#[component]
pub fn NavBar() -> impl IntoView {
    let auth = use_auth();
    let (open, set_open) = signal(false);
    let navigate = use_navigate();

    let sign_out = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // Local state goes whatever the server says: the user asked to leave. Leave the
            // page first, so its guard does not send us to /login?next=… instead.
            let _ = crate::api::log_out().await;
            navigate("/login", Default::default());
            auth.signed_out();
        });
    };

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
                <Suspense>
                {move || {
                let sign_out = sign_out.clone();
                Suspend::new(async move {
                auth.ready().await;
                view! {
                <Show
                    when=move || auth.is_authenticated().get()
                    fallback=|| view! {
                        <A href="/login">"Sign in"</A>
                        <A href="/signup">"Sign up"</A>
                    }
                >
                    <A href="/todos">"Todos"</A>
                    <A href="/customers">"Customers"</A>
                    <A href="/profile">"Profile"</A>
                    <A href="/sessions">"Sessions"</A>
                    <A href="/security">"Security"</A>
                    <Show when=move || auth.user().with(|u| u.as_ref().is_some_and(|u| u.is_admin))>
                        <A href="/admin">"Admin"</A>
                    </Show>
                    <span class="signed-in-as" data-testid="signed-in-as">
                        "Signed in as "
                        <strong>{move || auth.user().get().map(|u| u.name).unwrap_or_default()}</strong>
                    </span>
                    <button type="button" on:click=sign_out.clone()>"Sign out"</button>
                </Show>
                }
                })
                }}
                </Suspense>
            </nav>
        </header>
    }
}
