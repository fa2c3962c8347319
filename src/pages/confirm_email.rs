//! `/confirm-email?token=…`: where the email-change mail's link leads. Opening it changes
//! nothing; the button moves the account to the new address.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{auth::use_auth, components::link_token::link_token, fns::email::ConfirmEmailChange};

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let auth = use_auth();
    let token = link_token();
    let confirm = ServerAction::<ConfirmEmailChange>::new();
    Effect::new(move |_| {
        if let Some(Ok(user)) = confirm.value().get()
            && auth
                .user()
                .with_untracked(|u| u.as_ref().is_some_and(|u| u.id == user.id))
        {
            auth.update(user);
        }
    });
    view! {
        <Title text="Confirm your new email"/>
        <section class="card auth-card">
            <h1>"Confirm your new email address"</h1>
            {move || match confirm.value().get() {
                Some(Ok(user)) => view! {
                    <p class="ok" role="status">{format!("Your account's address is now {}.", user.email)}</p>
                    <p><A href="/profile">"Back to your profile"</A></p>
                }
                .into_any(),
                outcome => {
                    let error = outcome.and_then(Result::err).map(|err| {
                        err.field_message("token").unwrap_or(err.message()).to_owned()
                    });
                    view! {
                        <p>"Make this the email address of your account."</p>
                        <p class="alert" role="alert" hidden=error.is_none()>{error.clone()}</p>
                        <ActionForm action=confirm attr:class="form">
                            <input type="hidden" name="token" value=token.get_value()/>
                            <button class="primary" type="submit" disabled=move || confirm.pending().get()>
                                "Use this address"
                            </button>
                        </ActionForm>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
