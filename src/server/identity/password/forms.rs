//! The sign-in and sign-up forms posted without JavaScript (progressive enhancement). They run
//! the same checks as the JSON API and answer with a redirect: to `next` on success, back to the
//! form with the errors in the query otherwise.

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
        LoginRequest, Password, SignupRequest,
        next::{encode_component, safe_next},
    },
    error::AppError,
    server::{http::client::ClientInfo, identity::sign_in::Method, platform::state::AppState},
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
        let password = Password::for_sign_in(&form.credentials.password).map_err(|_| {
            AppError::Unauthenticated {
                message: "Enter your email and password.".into(),
            }
        })?;
        let email = &form.credentials.email;
        service::sign_in(
            &state,
            &session,
            &client,
            email,
            password,
            Method::PasswordForm,
        )
        .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match outcome {
        Ok(()) => Redirect::to(&safe_next(non_empty(&form.next))).into_response(),
        Err(err) => {
            let mut query = format!(
                "error={}&email={}",
                encode_component(err.message()),
                encode_component(&form.credentials.email)
            );
            push_next(&mut query, &form.next);
            Redirect::to(&format!("/login?{query}")).into_response()
        }
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
        Err(err) => {
            let mut query = format!(
                "error={}&email={}&name={}",
                encode_component(err.message()),
                encode_component(&form.account.email),
                encode_component(&form.account.name)
            );
            if let AppError::Validation { fields, .. } = &err {
                for field in fields {
                    query.push_str(&format!(
                        "&error_{}={}",
                        field.field,
                        encode_component(&field.message)
                    ));
                }
            }
            push_next(&mut query, &form.next);
            Redirect::to(&format!("/signup?{query}")).into_response()
        }
    }
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

fn push_next(query: &mut String, next: &str) {
    if !next.is_empty() {
        query.push_str(&format!("&next={}", encode_component(next)));
    }
}
