//! One HTTP round trip to the API: JSON in, JSON or nothing out, errors as [`AppError`].

use serde::{Serialize, de::DeserializeOwned};

use crate::{domain::paths::Method, error::AppError};

/// A request whose success carries a JSON body.
pub async fn request<T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<&impl Serialize>,
) -> Result<T, AppError> {
    let text = send(method, path, body).await?;
    serde_json::from_str(&text).map_err(|_| AppError::internal())
}

/// A request whose success carries no body (204).
pub async fn request_empty(
    method: Method,
    path: &str,
    body: Option<&impl Serialize>,
) -> Result<(), AppError> {
    send(method, path, body).await.map(|_| ())
}

/// Sends the request with the session cookie and returns the body of a 2xx response.
#[cfg(feature = "hydrate")]
async fn send(
    method: Method,
    path: &str,
    body: Option<&impl Serialize>,
) -> Result<String, AppError> {
    use gloo_net::http::{Request, RequestBuilder};
    let builder: RequestBuilder = match method {
        Method::Get => Request::get(path),
        Method::Post => Request::post(path),
        Method::Patch => Request::patch(path),
        Method::Delete => Request::delete(path),
    }
    .credentials(web_sys::RequestCredentials::SameOrigin)
    .header("accept", "application/json");
    let response = match body {
        Some(body) => {
            builder
                .json(body)
                .map_err(|_| AppError::internal())?
                .send()
                .await
        }
        None => builder.send().await,
    }
    .map_err(|_| AppError::unreachable())?;
    let status = response.status();
    let text = response.text().await.map_err(|_| AppError::unreachable())?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    Err(
        serde_json::from_str::<AppError>(&text).unwrap_or_else(|_| match status {
            401 => AppError::unauthenticated(),
            502..=504 => AppError::unreachable(),
            _ => AppError::internal(),
        }),
    )
}

/// The server renders pages from its own state; it never calls its own API over HTTP.
#[cfg(not(feature = "hydrate"))]
async fn send(_: Method, _: &str, _: Option<&impl Serialize>) -> Result<String, AppError> {
    Err(AppError::unreachable())
}
