//! What a signed-in user whose address is not verified sees instead of a private page when the
//! server requires verified addresses: where the link went, and a way to get another; and that
//! way on its own ([`ResendLinkButton`]), for the pages that offer it beside their content.

use leptos::prelude::*;

use crate::{auth::use_auth, fns::email::ResendVerification};

/// "Check your inbox", with a button that mails the link again.
#[component]
pub fn CheckInbox() -> impl IntoView {
    let auth = use_auth();
    let email = move || auth.user().get().map(|u| u.email).unwrap_or_default();
    view! {
        <section class="card message-page" data-testid="check-inbox">
            <h1>"Check your inbox"</h1>
            <p>
                "Confirm your email address to continue: we sent a link to "
                <strong>{email}</strong> "."
            </p>
            <ResendLinkButton label="Send the link again" primary=true/>
        </section>
    }
}

/// A button that mails the signed-in user a new verification link, and what came of it. A form,
/// so it works before the page is interactive. `primary` draws it as the page's main action.
#[component]
pub fn ResendLinkButton(
    #[prop(default = "Send the verification link again")] label: &'static str,
    #[prop(optional)] primary: bool,
) -> impl IntoView {
    let resend = ServerAction::<ResendVerification>::new();
    let outcome = move || {
        resend.value().get().map(|result| match result {
            Ok(()) => {
                view! { <p class="ok" role="status">"A new link is on its way."</p> }.into_any()
            }
            Err(err) => {
                view! { <p class="alert" role="alert">{err.message().to_owned()}</p> }.into_any()
            }
        })
    };
    view! {
        <ActionForm action=resend>
            <button type="submit" class=primary.then_some("primary") disabled=move || resend.pending().get()>
                {label}
            </button>
        </ActionForm>
        {outcome}
    }
}
