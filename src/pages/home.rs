//! `/`: what Gatehouse is.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text=""/>
        <section class="hero">
            <h1>"Gatehouse"</h1>
            <p class="lead">
                "Sign-in, sessions and protected pages for Leptos apps — done properly."
            </p>
            <ul class="features">
                <li>"Email and password with argon2id, and Google Sign-In."</li>
                <li>"HTTP-only cookie sessions stored server-side, revocable at any time."</li>
                <li>"Protected routes that send visitors to sign in and bring them back."</li>
            </ul>
        </section>
    }
}
