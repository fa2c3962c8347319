//! The page for any path the router does not know; answers 404 when rendered on the server.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_not_found_status();
    view! {
        <Title text="Page not found"/>
        <section class="message-page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <p><A href="/">"Go to the home page"</A></p>
        </section>
    }
}

/// Sets the HTTP status of the server-rendered response.
#[cfg(feature = "ssr")]
fn set_not_found_status() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

/// In the browser the status is long sent; nothing to do.
#[cfg(not(feature = "ssr"))]
fn set_not_found_status() {}
