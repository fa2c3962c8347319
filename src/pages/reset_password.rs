//! `/reset-password?token=…`: where the reset mail's link leads: choose a new password. Every
//! session of the account ends when it is set.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{
    auth::use_auth,
    components::{form::Field, link_token::link_token},
    domain::password,
    fns::email::ResetPassword,
};

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let auth = use_auth();
    let token = link_token();
    let reset = ServerAction::<ResetPassword>::new();
    let failure = move || reset.value().get().and_then(Result::err);
    let password_error = Signal::derive(move || {
        failure().and_then(|e| e.field_message("new_password").map(str::to_owned))
    });
    let error = move || {
        failure()
            .filter(|e| e.field_message("new_password").is_none())
            .map(|e| e.field_message("token").unwrap_or(e.message()).to_owned())
    };
    Effect::new(move |_| {
        // Every session of the account ended, this browser's too if it was signed in.
        if let Some(Ok(())) = reset.value().get()
            && auth.user().with_untracked(Option::is_some)
        {
            auth.signed_out();
        }
    });
    view! {
        <Title text="Choose a new password"/>
        <section class="card auth-card">
            <h1>"Choose a new password"</h1>
            {move || match reset.value().get() {
                Some(Ok(())) => view! {
                    <p class="ok" role="status">"Your password is set, and every session of your account was signed out."</p>
                    <p><A href="/login">"Sign in"</A></p>
                }
                .into_any(),
                _ => view! {
                    <p class="alert" role="alert" hidden=move || error().is_none()>{error}</p>
                    <ActionForm action=reset attr:class="form">
                        <input type="hidden" name="token" value=token.get_value()/>
                        <input type="text" name="username" autocomplete="username" hidden readonly/>
                        <Field name="new_password" label="New password" kind="password"
                            autocomplete="new-password" error=password_error required=true
                            hint=format!("At least {} characters; {} or more is better.", password::MIN_LEN, password::SUGGESTED_LEN)/>
                        <button class="primary" type="submit" disabled=move || reset.pending().get()>
                            "Set the password"
                        </button>
                    </ActionForm>
                }
                .into_any(),
            }}
        </section>
    }
}
