//! The device cookie as a request carries it: what the browser presented, and the replacement
//! its response sends. `identity::device` decides what the cookie means; [`carry`] moves it in
//! and out of each request.

use std::sync::{Arc, Mutex};

use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// The device cookie a request presented, and the one its response sends back: read and
/// issued by `identity::device`, carried here by [`carry`].
#[derive(Clone, Debug, Default)]
pub struct DeviceCookie {
    presented: Option<Arc<str>>,
    replacement: Arc<Mutex<Option<String>>>,
}

impl DeviceCookie {
    /// A request that presented `value` (or none).
    pub fn presenting(value: Option<&str>) -> Self {
        Self {
            presented: value.map(Arc::from),
            replacement: Arc::default(),
        }
    }

    /// The value the browser sent.
    pub fn presented(&self) -> Option<&str> {
        self.presented.as_deref()
    }

    /// Sends `set_cookie` (a whole `Set-Cookie` value) with the response.
    pub fn replace_with(&self, set_cookie: String) {
        *lock(&self.replacement) = Some(set_cookie);
    }

    /// The `Set-Cookie` value the response will send, if any.
    pub fn replacement(&self) -> Option<String> {
        lock(&self.replacement).clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads the device cookie named `name` from the request for `ClientInfo`, and sends the
/// replacement a handler issued with the response.
pub async fn carry(State(name): State<&'static str>, mut request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_owned());
    let cookie = DeviceCookie::presenting(presented.as_deref());
    request.extensions_mut().insert(cookie.clone());
    let mut response = next.run(request).await;
    if let Some(set_cookie) = lock(&cookie.replacement).take()
        && let Ok(value) = HeaderValue::from_str(&set_cookie)
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
