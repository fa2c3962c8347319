//! Shown when a signed-in user asks for something they may not see. Never a login loop.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <Title text="Forbidden"/>
        <section class="message-page" role="alert">
            <h1>"Forbidden"</h1>
            <p>"Your account is not allowed to see this page."</p>
            <p><A href="/">"Go to the home page"</A></p>
        </section>
    }
}
