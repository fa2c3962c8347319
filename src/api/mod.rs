//! The browser's typed client for the JSON API (`docs/api.md`), for what the pages do outside
//! server functions: signing in, up and out and confirming who one is (so the session cookie is
//! set by the same answers other clients get) and the cached `/api/users/me` check. Every call
//! returns the server's [`AppError`] on failure, or [`AppError::Unavailable`] when the server
//! cannot be reached. The methods and paths come from [`paths`], the table the server registers
//! its routes from. The pages' data goes through the server functions of [`crate::fns`].

pub mod client;

use serde::{Serialize, de::DeserializeOwned};

use crate::{
    domain::{
        CurrentUser, GoogleCredential, GoogleNonce, LoginRequest, PasskeyOptions,
        PasskeySignInRequest, ReauthRequest, SecondFactorRequest, SignInResponse, SignupRequest,
        paths::{self, *},
    },
    error::AppError,
};
use client::{request, request_empty};

async fn call<T: DeserializeOwned>(
    endpoint: paths::Endpoint,
    body: Option<&impl Serialize>,
) -> Result<T, AppError> {
    request(endpoint.method, &endpoint.url(), body).await
}

async fn call_empty(
    endpoint: paths::Endpoint,
    body: Option<&impl Serialize>,
) -> Result<(), AppError> {
    request_empty(endpoint.method, &endpoint.url(), body).await
}

pub async fn get_me() -> Result<CurrentUser, AppError> {
    call(GET_ME, None::<&()>).await
}

pub async fn sign_up(body: &SignupRequest) -> Result<CurrentUser, AppError> {
    call(SIGN_UP, Some(body)).await
}

/// The user, or (for an account with a second factor) the request for its code.
pub async fn log_in(body: &LoginRequest) -> Result<SignInResponse, AppError> {
    call(LOG_IN, Some(body)).await
}

/// Completes a sign-in held for its second factor.
pub async fn second_factor_sign_in(body: &SecondFactorRequest) -> Result<CurrentUser, AppError> {
    call(SECOND_FACTOR_SIGN_IN, Some(body)).await
}

/// Options for signing in with a passkey, held by the server for five minutes.
pub async fn passkey_sign_in_options() -> Result<PasskeyOptions, AppError> {
    call(PASSKEY_SIGN_IN_OPTIONS, None::<&()>).await
}

/// Signs in with the credential the browser's authenticator made from those options.
pub async fn passkey_sign_in(body: &PasskeySignInRequest) -> Result<CurrentUser, AppError> {
    call(PASSKEY_SIGN_IN, Some(body)).await
}

pub async fn log_out() -> Result<(), AppError> {
    call_empty(LOG_OUT, None::<&()>).await
}

/// A fresh nonce bound to this browser's session, for Google's sign-in prompt.
pub async fn google_nonce() -> Result<GoogleNonce, AppError> {
    call(GOOGLE_NONCE, None::<&()>).await
}

pub async fn sign_in_with_google(body: &GoogleCredential) -> Result<SignInResponse, AppError> {
    call(GOOGLE_SIGN_IN, Some(body)).await
}

/// Options for confirming who the signed-in user is with one of their passkeys.
pub async fn reauth_options() -> Result<PasskeyOptions, AppError> {
    call(REAUTH_OPTIONS, None::<&()>).await
}

/// Confirms who the signed-in user is (step-up), so a sensitive action may go ahead.
pub async fn reauthenticate(body: &ReauthRequest) -> Result<(), AppError> {
    call_empty(REAUTH, Some(body)).await
}
