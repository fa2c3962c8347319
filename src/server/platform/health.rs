//! Liveness and readiness probes for load balancers and orchestrators.

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use super::state::AppState;

/// How long `/readyz` waits for each dependency before calling it down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /healthz`: 200 while the process can answer at all.
pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, Json(json!({ "status": "ok" })))
}

/// `GET /readyz`: 200 when the database and the session store both answer; otherwise 503 with
/// a body naming each dependency that failed. The backend's own error text (which can name
/// hosts, users and versions) goes to the log only.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let (database, sessions) = tokio::join!(
        probe(async { state.db.ping().await.map_err(anyhow::Error::from) }),
        probe(state.sessions.inner().ping()),
    );
    let ready = database.is_ok() && sessions.is_ok();
    let report = |name: &str, outcome: &Result<(), String>| match outcome {
        Ok(()) => json!({ "name": name, "status": "ok" }),
        Err(why) => json!({ "name": name, "status": "down", "error": why }),
    };
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": [
            report("database", &database),
            report(&format!("session_store ({})", state.sessions.inner().name()), &sessions),
        ],
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, [("cache-control", "no-store")], Json(body))
}

async fn probe(check: impl Future<Output = anyhow::Result<()>>) -> Result<(), String> {
    match tokio::time::timeout(PROBE_TIMEOUT, check).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => {
            tracing::warn!(error = format!("{err:#}"), "readiness check failed");
            Err("not answering (see the server log)".to_owned())
        }
        Err(_) => Err(format!("no answer within {} ms", PROBE_TIMEOUT.as_millis())),
    }
}
