//! Request-level defences: cross-site request refusal (SECURITY X1), security headers (X5),
//! `no-store` on API responses (S10), and session-cookie removals that browsers honour (S3).

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::error::AppError;

/// Refuses state-changing requests that a browser made on behalf of another site, except from
/// the origins in `cors_allowed_origins` (`allowed`).
///
/// # Security
/// Browsers send `Sec-Fetch-Site` on every request; where it is missing (older browsers) the
/// `Origin`, then the `Referer`, must match the `Host` the request was sent to. Requests with
/// none of them come from non-browser clients, which cannot be forged cross-site, and pass. This
/// covers sign-in and sign-up too, which stops login CSRF. An allowed origin is matched exactly
/// against the browser-set `Origin` header, which pages cannot forge.
pub async fn refuse_cross_site(
    State(allowed): State<Arc<[String]>>,
    request: Request,
    next: Next,
) -> Response {
    if is_safe(request.method())
        || is_same_site(request.headers())
        || is_allowed_origin(request.headers(), &allowed)
    {
        next.run(request).await
    } else {
        tracing::warn!(method = %request.method(), path = request.uri().path(), "refused a cross-site request");
        AppError::forbidden("Cross-site requests are not allowed.").into_response()
    }
}

fn is_allowed_origin(headers: &HeaderMap, allowed: &[String]) -> bool {
    headers
        .get(header::ORIGIN)
        .and_then(|origin| origin.to_str().ok())
        .is_some_and(|origin| allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)))
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn is_same_site(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    if let Some(site) = text("sec-fetch-site") {
        // `none`: the user typed the address or used a bookmark.
        return site == "same-origin" || site == "none";
    }
    let Some(host) = text("host") else {
        return false;
    };
    let source = text("origin")
        .filter(|origin| *origin != "null")
        .or_else(|| text("referer"));
    match source {
        Some(url) => authority(url) == Some(host),
        None => text("origin").is_none(),
    }
}

/// `host[:port]` of an absolute http(s) URL.
pub fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    Some(rest.split(['/', '?', '#']).next().unwrap_or(rest))
}

const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");

/// Adds the headers every response carries. Pages set their own Content-Security-Policy (it
/// holds a per-response nonce); everything else gets one that allows nothing.
pub async fn security_headers(State(hsts): State<bool>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        CROSS_ORIGIN_OPENER_POLICY,
        HeaderValue::from_static("same-origin-allow-popups"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

/// The Content-Security-Policy of a page: scripts only from this origin or carrying this
/// response's nonce (Leptos' hydration script), WebAssembly allowed, no framing, no plugins.
/// Google's Identity Services origins are allowed only when Google sign-in is configured; the
/// development build adds the live-reload websocket.
pub fn page_csp(nonce: &str, google: bool, dev_reload_port: Option<u32>) -> String {
    let (google_script, google_style, google_frame, google_connect) = if google {
        (
            " https://accounts.google.com/gsi/client",
            " https://accounts.google.com/gsi/style",
            "https://accounts.google.com/gsi/",
            " https://accounts.google.com/gsi/",
        )
    } else {
        ("", "", "'none'", "")
    };
    let reload = dev_reload_port
        .map(|port| format!(" ws://127.0.0.1:{port} ws://localhost:{port}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'{google_script}; \
         style-src 'self'{google_style}; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'{google_connect}{reload}; frame-src {google_frame}; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// API responses carry user data: never store them in any cache (S10).
pub async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The attributes every `Set-Cookie` of the session cookie must carry.
#[derive(Clone, Debug)]
pub struct CookiePolicy {
    pub name: &'static str,
    pub secure: bool,
}

/// tower-sessions removes a cookie with only its name and path; a browser drops a `__Host-`
/// cookie only when the removal is `Secure` too. Give removals the full attribute set (S3).
pub async fn complete_cookie_removals(
    State(policy): State<CookiePolicy>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let is_bare_removal = |value: &HeaderValue| {
        value.to_str().is_ok_and(|text| {
            text.strip_prefix(policy.name)
                .is_some_and(|rest| rest.starts_with('='))
                && !text.contains("HttpOnly")
        })
    };
    if !response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(is_bare_removal)
    {
        return response;
    }
    let values: Vec<HeaderValue> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    let headers = response.headers_mut();
    headers.remove(header::SET_COOKIE);
    for value in values {
        let completed = match value.to_str() {
            Ok(text) if is_bare_removal(&value) => {
                let secure = if policy.secure { "; Secure" } else { "" };
                HeaderValue::from_str(&format!("{text}; HttpOnly; SameSite=Lax{secure}"))
                    .unwrap_or(value)
            }
            _ => value,
        };
        headers.append(header::SET_COOKIE, completed);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(is_same_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!is_same_site(&headers(&[
            ("sec-fetch-site", "cross-site"),
            ("host", "a.test")
        ])));
        assert!(!is_same_site(&headers(&[("sec-fetch-site", "same-site")])));
    }

    #[test]
    fn origin_then_referer_must_match_the_host() {
        assert!(is_same_site(&headers(&[
            ("host", "a.test:3000"),
            ("origin", "http://a.test:3000")
        ])));
        assert!(!is_same_site(&headers(&[
            ("host", "a.test"),
            ("origin", "https://evil.test")
        ])));
        assert!(!is_same_site(&headers(&[
            ("host", "a.test"),
            ("origin", "null")
        ])));
        assert!(is_same_site(&headers(&[
            ("host", "a.test"),
            ("referer", "https://a.test/login?x=1")
        ])));
        assert!(!is_same_site(&headers(&[
            ("host", "a.test"),
            ("referer", "https://a.test.evil/x")
        ])));
    }

    #[test]
    fn non_browser_clients_pass() {
        assert!(is_same_site(&headers(&[("host", "a.test")])));
    }
}
