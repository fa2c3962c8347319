//! Turns [`AppError`] into HTTP responses, and internal failures into [`AppError`] after logging
//! their full cause.

use axum::{
    Json,
    extract::{FromRequest, FromRequestParts, Query, Request, rejection::JsonRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

use crate::error::AppError;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = match &self {
            AppError::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            AppError::Unavailable { .. } => Some(1),
            _ => None,
        };
        let mut response = (status, Json(self)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Logs an unexpected failure with its whole chain and returns the generic 500.
pub fn internal(context: &str, err: impl Into<anyhow::Error>) -> AppError {
    let err = err.into();
    tracing::error!(error = format!("{err:#}"), "{context}");
    AppError::internal()
}

/// Maps a database failure: an unreachable database is 503, text the database cannot store (a
/// NUL character, which PostgreSQL refuses) is 400, anything else a logged 500.
pub fn db_error(err: sqlx::Error) -> AppError {
    if let sqlx::Error::Database(db_err) = &err
        && db_err.code().as_deref() == Some("22021")
    {
        return AppError::bad_request("The request contains a character that cannot be stored.");
    }
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
            tracing::warn!(error = %err, "database unavailable");
            AppError::unavailable("The database")
        }
        other => internal("database query failed", other),
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        db_error(err)
    }
}

/// A session-store failure: the store is down or answering garbage. Either way, 503.
pub fn store_error(err: tower_sessions::session::Error) -> AppError {
    tracing::warn!(error = %err, "session store unavailable");
    AppError::unavailable("The session store")
}

/// `Json<T>` whose rejections are [`AppError`]s with a message saying what was wrong: 400 for a
/// body that is not JSON at all, 422 for JSON of the wrong shape (SECURITY X6).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// `Query<T>` whose rejection is a JSON 400 naming what was wrong.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| {
                AppError::bad_request(format!(
                    "The query string is not valid: {}",
                    rejection.body_text()
                ))
            })
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonDataError(err) => AppError::Validation {
            message: format!("The request body has the wrong shape: {}", err.body_text()),
            fields: Vec::new(),
        },
        JsonRejection::JsonSyntaxError(err) => AppError::bad_request(format!(
            "The request body is not valid JSON: {}",
            err.body_text()
        )),
        JsonRejection::MissingJsonContentType(_) => AppError::bad_request(
            "Send the request body as JSON with Content-Type: application/json.",
        ),
        JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::bad_request("The request body is too large.")
        }
        other => AppError::bad_request(other.body_text()),
    }
}
