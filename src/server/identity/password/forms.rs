//! The sign-in, second-factor and sign-up forms posted without JavaScript (progressive enhancement). They run
//! the same checks as the JSON API and answer with a redirect: to `next` on success, back to the
//! form with the failure as codes otherwise.

use axum::{
    Form,
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::service;
use crate::{
    domain::{
        LoginRequest, Password, SecondFactorRequest, SignupRequest,
        form_error::{Field, FormError},
        next::{encode_component, safe_next},
    },
    error::AppError,
    server::{
        http::client::ClientInfo,
        identity::{
            second_factor::service as second_factor,
            sign_in::{Completion, Method},
        },
        platform::state::AppState,
    },
};

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(flatten)]
    credentials: LoginRequest,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(flatten)]
    account: SignupRequest,
    #[serde(default)]
    next: String,
}

/// `POST /auth/login` (form-encoded).
pub async fn log_in_form(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    Form(form): Form<LoginForm>,
) -> Response {
    let outcome = async {
        let password = Password::for_sign_in(&form.credentials.password)
            .map_err(|why| AppError::validation("password", why))?;
        let email = &form.credentials.email;
        service::sign_in(
            &state,
            &session,
            &client,
            email,
            password,
            Method::PasswordForm,
        )
        .await
    }
    .await;
    match outcome {
        Ok(Completion::SignedIn(_)) => {
            Redirect::to(&safe_next(non_empty(&form.next))).into_response()
        }
        // The password was right; the account's second factor comes next, on its own page.
        Ok(Completion::SecondFactor(_)) => {
            Redirect::to(&with_next(SECOND_FACTOR_PAGE, &form.next)).into_response()
        }
        Err(err) => back_to("/login", &err, &form.next),
    }
}

/// Where a sign-in held for its second factor continues.
const SECOND_FACTOR_PAGE: &str = "/login/second-factor";

#[derive(Deserialize)]
pub struct SecondFactorForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    recovery_code: String,
    #[serde(default)]
    next: String,
}

/// `POST /auth/second-factor` (form-encoded): the code step of a held sign-in.
pub async fn second_factor_form(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    Form(form): Form<SecondFactorForm>,
) -> Response {
    let request = SecondFactorRequest {
        code: Some(form.code.clone()).filter(|code| !code.trim().is_empty()),
        recovery_code: Some(form.recovery_code.clone()).filter(|code| !code.trim().is_empty()),
    };
    match second_factor::sign_in(&state, &session, &client, &request).await {
        Ok(_) => Redirect::to(&safe_next(non_empty(&form.next))).into_response(),
        // The held sign-in is over: start again from the password.
        Err(AppError::Unauthenticated { .. } | AppError::RateLimited { .. })
            if !matches!(second_factor::pending_for(&session).await, Ok(true)) =>
        {
            back_with("/login", FormError::Restart, "", &form.next)
        }
        // Back to the same field: the recovery code's, when that was the one used.
        Err(err) if request.recovery_code.is_some() => back_to(
            &format!("{SECOND_FACTOR_PAGE}?recovery=1"),
            &err,
            &form.next,
        ),
        Err(err) => back_to(SECOND_FACTOR_PAGE, &err, &form.next),
    }
}

/// `path`, with `next` when it is a safe one.
fn with_next(path: &str, next: &str) -> String {
    if !next.is_empty() && safe_next(Some(next)) == next {
        format!("{path}?next={}", encode_component(next))
    } else {
        path.to_owned()
    }
}

/// `POST /auth/signup` (form-encoded).
pub async fn sign_up_form(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    Form(form): Form<SignupForm>,
) -> Response {
    match service::sign_up(&state, &session, &client, &form.account).await {
        Ok(_) => Redirect::to(&safe_next(non_empty(&form.next))).into_response(),
        Err(err) => back_to("/signup", &err, &form.next),
    }
}

/// The redirect back to the form after `err`: the failure and the refused fields as codes,
/// and `next` (checked again by the page) so that a second try still returns there.
///
/// # Security
/// Nothing the visitor typed comes back in the address (X6, P10): not the email, not the
/// name, not the server's text. The page shows its own message for each code it knows.
fn back_to(form: &str, err: &AppError, next: &str) -> Response {
    back_with(form, FormError::of(err), &Field::codes_of(err), next)
}

/// The redirect back to `form` with the failure `error`, the refused `fields` (codes) and `next`.
fn back_with(form: &str, error: FormError, fields: &str, next: &str) -> Response {
    let mut query = format!("error={}", error.code());
    if !fields.is_empty() {
        query.push_str(&format!("&invalid={fields}"));
    }
    if !next.is_empty() && safe_next(Some(next)) == next {
        query.push_str(&format!("&next={}", encode_component(next)));
    }
    let join = if form.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{form}{join}{query}")).into_response()
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}
