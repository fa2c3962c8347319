//! Prometheus metrics at `GET /metrics`: requests by route, method and status with their
//! latencies, sign-ins by method and outcome, the number of live sessions, the mail outbox's
//! backlog, and requests refused because password hashing was saturated.

use std::{
    collections::HashMap,
    sync::{OnceLock, PoisonError, RwLock},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::state::AppState;
use crate::server::{mail::outbox, sessions::index};

const REQUESTS: &str = "http_requests_total";
const DURATION: &str = "http_request_duration_seconds";
const SIGN_INS: &str = "gatehouse_sign_ins_total";
const SESSIONS: &str = "gatehouse_active_sessions";
const HASHING_BUSY: &str = "gatehouse_password_hashing_busy_total";
const MAIL_BACKLOG: &str = "gatehouse_mail_outbox_backlog";

/// Latency buckets: fine below 10 ms, where an authenticated read should sit.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process-wide recorder, installed on first use (every app in a process shares it).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.into()), BUCKETS)
                .expect("non-empty buckets")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will be empty");
            }
            metrics::describe_counter!(REQUESTS, "HTTP requests by route, method and status");
            metrics::describe_histogram!(
                DURATION,
                metrics::Unit::Seconds,
                "HTTP request latency by route, method and status"
            );
            metrics::describe_counter!(SIGN_INS, "Sign-in attempts by method and outcome");
            metrics::describe_gauge!(SESSIONS, "Signed-in sessions not yet expired");
            metrics::describe_gauge!(MAIL_BACKLOG, "Mails in the outbox not sent yet");
            metrics::describe_counter!(
                HASHING_BUSY,
                "Sign-ins and sign-ups refused with 503 because the password-hashing queue was full"
            );
            let upkeep = handle.clone();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
            handle
        })
        .clone()
}

/// The route template a request matched, carried out on the response for [`track`].
#[derive(Clone)]
struct RouteLabel(MatchedPath);

/// Innermost layer (a `route_layer`): notes the matched route template, `/api/todos/{id}`
/// rather than `/api/todos/17`, so labels stay few.
pub async fn note_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(RouteLabel(route));
    }
    response
}

/// Outermost layer: counts and times every request.
pub async fn track(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(request.method());
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<RouteLabel>()
        .map_or("other", |label| label.0.as_str());
    let (requests, duration) = series(method, route, response.status());
    requests.increment(1);
    duration.record(start.elapsed().as_secs_f64());
    response
}

/// The method as a label: methods outside the standard set are `OTHER`, so a client inventing
/// methods cannot create series without end.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// The request counter and latency histogram of one (method, route, status).
type Series = (Counter, Histogram);

/// The handles of every series seen so far, so a request costs two map lookups on the hot path
/// instead of building labels and asking the recorder to find them. Bounded: methods and
/// routes are fixed sets and statuses are three digits.
fn series(method: &'static str, route: &str, status: StatusCode) -> Series {
    type ByRoute = HashMap<Box<str>, Series>;
    static SERIES: OnceLock<RwLock<HashMap<(&'static str, u16), ByRoute>>> = OnceLock::new();
    let all = SERIES.get_or_init(Default::default);
    let key = (method, status.as_u16());
    if let Some(found) = all
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .and_then(|by_route| by_route.get(route))
    {
        return found.clone();
    }
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.as_str().to_owned()),
    ];
    let made = (
        metrics::counter!(REQUESTS, &labels),
        metrics::histogram!(DURATION, &labels),
    );
    all.write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(key)
        .or_default()
        .insert(route.into(), made.clone());
    made
}

/// Counts one sign-in attempt. `method`: `password` or `google`; `outcome`: `success`,
/// `failure` or `throttled`.
pub fn sign_in(method: &'static str, outcome: &'static str) {
    metrics::counter!(SIGN_INS, "method" => method, "outcome" => outcome).increment(1);
}

/// Counts one request refused because the password-hashing queue was full.
pub fn hashing_busy() {
    metrics::counter!(HASHING_BUSY).increment(1);
}

/// `GET /metrics`, in Prometheus' text format. With `metrics_bearer_token` set, only a request
/// bearing it is answered.
pub async fn render(State(state): State<AppState>, request: Request) -> Response {
    if let Some(token) = &state.settings.metrics_bearer_token {
        let expected = format!("Bearer {}", token.expose());
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .map_or(&b""[..], HeaderValue::as_bytes);
        if !constant_time_eq(given, expected.as_bytes()) {
            return (StatusCode::UNAUTHORIZED, "metrics need the bearer token\n").into_response();
        }
    }
    match index::live_total(&state.db).await {
        Ok(count) => metrics::gauge!(SESSIONS).set(count as f64),
        Err(err) => tracing::warn!(error = %err, "could not count live sessions for /metrics"),
    }
    match outbox::backlog(&state.db).await {
        Ok(count) => metrics::gauge!(MAIL_BACKLOG).set(count as f64),
        Err(err) => tracing::warn!(error = %err, "could not count the mail backlog for /metrics"),
    }
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        handle().render(),
    )
        .into_response()
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
