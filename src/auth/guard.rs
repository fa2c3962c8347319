//! The wrapper every private page sits in.

use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_location};

use super::use_auth;
use crate::{
    components::check_inbox::CheckInbox, domain::next::login_url, error::AppError,
    pages::forbidden::Forbidden,
};

/// Shows `children` to signed-in visitors and sends everyone else to
/// `/login?next=<this page>`.
///
/// On the server the answer is already known from the session, so a signed-in visitor gets the
/// page at once and an anonymous one a redirect whose HTML holds none of the page. In the
/// browser every visit asks the cached check ([`AuthStore::ensure`](super::AuthStore::ensure)),
/// which costs at most one request per cache period; a sign-out or a 401 anywhere turns the
/// page into the redirect.
#[component]
pub fn RequireAuth(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    let failure = RwSignal::new(None::<AppError>);
    let checking = RwSignal::new(false);

    let verify = move || {
        checking.set(true);
        leptos::task::spawn_local(async move {
            let outcome = auth.ensure().await;
            failure.set(outcome.err());
            checking.set(false);
        });
    };
    // Effects run only in the browser: on arrival, re-confirm with the (cached) check.
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            auth.ready().await;
            verify();
        });
    });

    // The page this guard protects, fixed when it mounts: reading the location reactively
    // would re-run the guard on its own redirect and loop.
    let guarded_path = location.pathname.get_untracked();
    let return_to = {
        let search = location.search.get_untracked();
        if search.is_empty() {
            guarded_path.clone()
        } else {
            format!("{guarded_path}?{search}")
        }
    };

    // A memo: a re-check that confirms the same user must not rebuild the page (that would
    // reset its state and drop work in flight).
    let signed_in = Memo::new(move |_| auth.is_authenticated().get());
    let must_verify = auth.must_verify_email();
    let decide = move || {
        if signed_in.get() {
            // With `require_verified_email`, an unverified address sees only how to verify it.
            if must_verify.get() {
                return view! { <CheckInbox/> }.into_any();
            }
            return children().into_any();
        }
        if let Some(err) = failure.get() {
            return view! {
                <section class="message-page" role="alert">
                    <h1>"Cannot check your sign-in"</h1>
                    <p>{err.message().to_owned()}</p>
                    <button class="primary" type="button" on:click=move |_| verify()>"Try again"</button>
                </section>
            }
            .into_any();
        }
        if checking.get() && auth.loading().get() {
            return view! { <p class="muted" aria-live="polite">"Loading…"</p> }.into_any();
        }
        // Someone already navigated away (sign-out goes to /login itself): nothing to guard.
        if location.pathname.get_untracked() != guarded_path {
            return ().into_any();
        }
        redirect_status();
        view! {
            <p class="muted" aria-live="polite">"Redirecting to sign in…"</p>
            <Redirect path=login_url(&return_to)/>
        }
        .into_any()
    };

    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-live="polite">"Loading…"</p> }>
            {move || {
                let decide = decide.clone();
                Suspend::new(async move {
                    auth.ready().await;
                    decide
                })
            }}
        </Suspense>
    }
}

/// Shows `children` to admins and the Forbidden page (status 403 when rendered on the server) to
/// everyone else. Sits inside [`RequireAuth`]. Only a courtesy: every admin endpoint checks the
/// role on the server itself.
#[component]
pub fn RequireAdmin(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    let is_admin = Memo::new(move |_| {
        auth.user()
            .with(|user| user.as_ref().is_some_and(|u| u.is_admin))
    });
    move || {
        if is_admin.get() {
            children().into_any()
        } else {
            forbidden_status();
            view! { <Forbidden/> }.into_any()
        }
    }
}

#[cfg(feature = "ssr")]
fn forbidden_status() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
}

#[cfg(not(feature = "ssr"))]
fn forbidden_status() {}

/// `<Redirect>` sets `Location` while the server renders; this makes the status a redirect, so
/// the browser follows it before showing anything.
#[cfg(feature = "ssr")]
fn redirect_status() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FOUND);
    }
}

/// In the browser the router navigates instead.
#[cfg(not(feature = "ssr"))]
fn redirect_status() {}
