//! `/verify-email?token=…`: where the verification mail's link leads. Opening it changes
//! nothing (mail scanners follow links); the button does, with or without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{auth::use_auth, components::link_token::link_token, fns::email::VerifyEmail};

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let auth = use_auth();
    let token = link_token();
    let verify = ServerAction::<VerifyEmail>::new();
    Effect::new(move |_| {
        if let Some(Ok(user)) = verify.value().get()
            && auth
                .user()
                .with_untracked(|u| u.as_ref().is_some_and(|u| u.id == user.id))
        {
            auth.update(user);
        }
    });
    view! {
        <Title text="Confirm your email"/>
        <section class="card auth-card">
            <h1>"Confirm your email address"</h1>
            {move || match verify.value().get() {
                Some(Ok(user)) => view! {
                    <p class="ok" role="status">{format!("{} is verified. Thank you.", user.email)}</p>
                    <p><A href="/welcome">"Continue"</A></p>
                }
                .into_any(),
                outcome => {
                    let error = outcome.and_then(Result::err).map(|err| {
                        err.field_message("token").unwrap_or(err.message()).to_owned()
                    });
                    view! {
                        <p>"Confirm that this address is yours."</p>
                        <p class="alert" role="alert" hidden=error.is_none()>{error.clone()}</p>
                        <ActionForm action=verify attr:class="form">
                            <input type="hidden" name="token" value=token.get_value()/>
                            <button class="primary" type="submit" disabled=move || verify.pending().get()>
                                "Verify my email"
                            </button>
                        </ActionForm>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
