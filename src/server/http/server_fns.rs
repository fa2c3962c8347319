//! What the server functions under [`PREFIX`] get that the JSON API's layers give the API: a
//! body limit, `no-store` (S10), and each failure sent with its [`AppError`]'s own status.
//!
//! Leptos answers every failed server function with 500 and the error's JSON body; this reads
//! the kind back from that body and sets the API's status (401, 403, 404, 409, 422, 429 with
//! `Retry-After`, 503), so a page, a `fetch` and a monitoring probe all see what happened. The
//! cross-site check (SECURITY X1) needs nothing here: it covers every request
//! ([`refuse_cross_site`](super::security::refuse_cross_site)).

use axum::{
    body::{Body, to_bytes},
    extract::{DefaultBodyLimit, Request},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use tower::{Layer, ServiceExt};

use super::BODY_LIMIT;
use crate::{error::AppError, fns::PREFIX};

/// The header Leptos marks a failed server function's answer with.
const SERVER_FN_ERROR: &str = "serverfnerror";

/// Applies to every request; acts only on those under [`PREFIX`].
pub async fn protect(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !(path.starts_with(PREFIX) && path.as_bytes().get(PREFIX.len()) == Some(&b'/')) {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT) {
        return AppError::bad_request("The request body is too large.").into_response();
    }
    // Leptos reads the body through axum's limit, which this sets for a body of unknown length.
    let limited = DefaultBodyLimit::max(BODY_LIMIT).layer(next);
    let Ok(mut response) = limited.oneshot(request).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && response.headers().contains_key(SERVER_FN_ERROR)
    {
        return with_error_status(response).await;
    }
    if response.status().is_redirection() {
        tidy_location(&mut response);
    }
    response
}

/// A plain form post is sent back to the page it came from; Leptos leaves an empty query
/// there (`/todos?`) where it strips an earlier error. The page is the same without it.
fn tidy_location(response: &mut Response) {
    let tidied = response
        .headers()
        .get(header::LOCATION)
        .and_then(|location| location.to_str().ok())
        .and_then(|location| location.strip_suffix('?'))
        .and_then(|location| HeaderValue::from_str(location).ok());
    if let Some(location) = tidied {
        response.headers_mut().insert(header::LOCATION, location);
    }
}

/// Gives a failed answer its error's status. The body is the error (small); one that cannot be
/// read or parsed stays a 500.
async fn with_error_status(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, parts.headers).into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        // The API's own answer for this error gives the status and `Retry-After`; the headers
        // the function set (a cookie removal, say) stay.
        let answer = error.into_response();
        parts.status = answer.status();
        if let Some(wait) = answer.headers().get(header::RETRY_AFTER) {
            parts.headers.insert(header::RETRY_AFTER, wait.clone());
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
