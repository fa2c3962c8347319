//! `/forgot-password`: asks for a reset link. The answer is the same whether or not the address
//! has an account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{components::form::Field, fns::email::RequestPasswordReset};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let email_error = Signal::derive(move || {
        request
            .value()
            .get()
            .and_then(Result::err)
            .and_then(|err| err.field_message("email").map(str::to_owned))
    });
    let error = move || {
        request
            .value()
            .get()
            .and_then(Result::err)
            .filter(|err| err.field_message("email").is_none())
            .map(|err| err.message().to_owned())
    };
    view! {
        <Title text="Forgot password"/>
        <section class="card auth-card">
            <h1>"Forgot your password?"</h1>
            {move || match request.value().get() {
                Some(Ok(())) => view! {
                    <p class="ok" role="status">
                        "If an account uses that address, a link to choose a new password is on its way. "
                        "Check your inbox."
                    </p>
                }
                .into_any(),
                _ => view! {
                    <p class="muted">"Enter your account's email address and we will mail you a link."</p>
                    <p class="alert" role="alert" hidden=move || error().is_none()>{error}</p>
                    <ActionForm action=request attr:class="form">
                        <Field name="email" label="Email" kind="email" autocomplete="username"
                            error=email_error required=true/>
                        <button class="primary" type="submit" disabled=move || request.pending().get()>
                            "Send the link"
                        </button>
                    </ActionForm>
                }
                .into_any(),
            }}
            <p class="muted"><A href="/login">"Back to sign in"</A></p>
        </section>
    }
}
