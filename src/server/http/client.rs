//! Where a request came from: the client's address (behind trusted proxies), user agent and
//! device cookie, for the session list, the audit trail and throttling.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts},
};

use super::{device_cookie::DeviceCookie, proxies};
use crate::server::platform::state::AppState;

/// Where a request came from, for the session list and the audit trail.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
    /// The browser's device cookie (see `identity::device`).
    pub device: DeviceCookie,
}

impl ClientInfo {
    /// The caller of a server function.
    pub async fn from_context(state: &AppState) -> Result<Self, crate::error::AppError> {
        leptos_axum::extract_with_state::<Self, AppState>(state)
            .await
            .map_err(|err| {
                tracing::error!(%err, "no request to read the client from");
                crate::error::AppError::internal()
            })
    }
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        let ip = proxies::client_ip(peer, forwarded, &state.trusted_proxies);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(512)
            .collect();
        let device = parts
            .extensions
            .get::<DeviceCookie>()
            .cloned()
            .unwrap_or_default();
        Ok(ClientInfo {
            ip: ip.to_string(),
            user_agent,
            device,
        })
    }
}
