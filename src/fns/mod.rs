//! Server functions: the app's own data path. Each is a thin adapter over one `server::`
//! service, as the JSON handlers are, so the page and the API answer alike (`docs/api.md` stays
//! the contract for other clients; these are not part of it, nor of the OpenAPI document).
//!
//! Every one is registered under [`PREFIX`] (`POST /api/fn/list_todos`), is a POST, and takes
//! its arguments URL-encoded, so an `<ActionForm>` works before the WASM has loaded. They share
//! the API's protection: the cross-site check (SECURITY X1) covers them, and each checks the
//! user itself with [`require_user`](crate::server::identity::current::require_user) or
//! [`require_admin`](crate::server::identity::current::require_admin). They fail with the
//! API's [`AppError`], sent with its status (401, 403, 404, 409, 422, 429 with `Retry-After`,
//! 503) and the same JSON body. `docs/server-functions.md` shows how to add one.

pub mod admin;
pub mod customers;
pub mod email;
pub mod profile;
pub mod security;
pub mod sessions;
pub mod todos;

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

use crate::error::AppError;

/// Where every server function is mounted: `#[server(prefix = "/api/fn", endpoint = "…")]`.
pub const PREFIX: &str = "/api/fn";

/// Server functions fail with the API's error, encoded as the API encodes it.
impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The browser could not reach the server at all.
            ServerFnErrorErr::Request(_) => AppError::unreachable(),
            // The arguments did not decode: the request is malformed.
            ServerFnErrorErr::Args(message) => {
                AppError::bad_request(format!("The arguments could not be read: {message}"))
            }
            // On the server: the body could not be read (too large, or cut off).
            ServerFnErrorErr::Deserialization(message) => {
                AppError::bad_request(format!("The request could not be read: {message}"))
            }
            ServerFnErrorErr::MissingArg(name) => {
                AppError::bad_request(format!("The argument {name} is missing."))
            }
            other => {
                log_failure(&other);
                AppError::internal()
            }
        }
    }

    /// In the browser, every failed answer also reaches the auth store, so a 401 from any
    /// server function signs the page out at once (and its guard sends the visitor to sign in).
    fn de(data: leptos::server_fn::Bytes) -> Self {
        use leptos::server_fn::Decodes;
        // Not the app's JSON: a proxy's error page in front of a server that is away.
        let error = JsonEncoding::decode(data).unwrap_or_else(|_| AppError::unreachable());
        crate::auth::store::observe(&error);
        error
    }
}

#[cfg(feature = "ssr")]
fn log_failure(error: &ServerFnErrorErr) {
    tracing::error!(%error, "server function failed");
}

#[cfg(not(feature = "ssr"))]
fn log_failure(error: &ServerFnErrorErr) {
    leptos::logging::warn!("server function failed: {error}");
}
