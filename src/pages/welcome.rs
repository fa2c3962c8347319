//! `/welcome`: where people land after signing in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::auth::{RequireAuth, use_auth};

#[component]
pub fn WelcomePage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Title text="Welcome"/>
        <RequireAuth>
            <section class="hero">
                <h1>"Welcome, " {move || auth.user().get().map(|u| u.name).unwrap_or_default()}</h1>
                <p class="lead">"You are signed in."</p>
                <ul class="features">
                    <li><A href="/todos">"Your todos"</A></li>
                    <li><A href="/profile">"Your profile and password"</A></li>
                </ul>
            </section>
        </RequireAuth>
    }
}
