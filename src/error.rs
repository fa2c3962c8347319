//! The one error type that crosses the wire. The server maps each variant to exactly one HTTP
//! status; the browser reads it back from the JSON body `{"error": kind, "message": text, …}`.
//! Internal causes are logged on the server and never sent.

use serde::{Deserialize, Serialize};

/// A failure a client can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ssr", schemars(rename = "Error"))]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum AppError {
    /// The input was well-formed JSON but a field is unacceptable (422).
    #[error("{message}")]
    Validation {
        message: String,
        /// Field name → why it was refused.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fields: Vec<FieldError>,
    },
    /// The request body could not be read at all (400).
    #[error("{message}")]
    BadRequest { message: String },
    /// No valid session (401).
    #[error("{message}")]
    Unauthenticated { message: String },
    /// Signed in, but not allowed (403).
    #[error("{message}")]
    Forbidden { message: String },
    /// Signed in, but `require_verified_email` is on and the address is not verified yet: only
    /// signing out and verification work (403).
    #[error("{message}")]
    EmailUnverified { message: String },
    /// Signed in, but the action is sensitive and the sign-in is not recent: confirm who you are
    /// (`POST /api/auth/reauth`), then try again (403).
    #[error("{message}")]
    ReauthRequired { message: String },
    /// No such thing, or not yours (404).
    #[error("{message}")]
    NotFound { message: String },
    /// The request clashes with existing state (409).
    #[error("{message}")]
    Conflict { message: String },
    /// Too many attempts; try again after `retry_after_secs` (429).
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// A dependency (database, session store, Google) is down (503).
    #[error("{message}")]
    Unavailable { message: String },
    /// A bug or unexpected failure; details are in the server log (500).
    #[error("{message}")]
    Internal { message: String },
}

/// One refused field of a [`AppError::Validation`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Validation {
            message: format!("{field}: {message}"),
            fields: vec![FieldError {
                field: field.into(),
                message,
            }],
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
        }
    }

    pub fn unauthenticated() -> Self {
        Self::Unauthenticated {
            message: "Please sign in.".into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden {
            message: message.into(),
        }
    }

    pub fn email_unverified() -> Self {
        Self::EmailUnverified {
            message: "Confirm your email address first: check your inbox for the link.".into(),
        }
    }

    pub fn reauth_required() -> Self {
        Self::ReauthRequired {
            message: "Confirm it is you to continue.".into(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound {
            message: format!("{what} not found."),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
        }
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::RateLimited {
            message: format!("Too many attempts. Try again in {retry_after_secs} seconds."),
            retry_after_secs,
        }
    }

    pub fn unavailable(what: &str) -> Self {
        Self::Unavailable {
            message: format!("{what} is unavailable right now. Please try again shortly."),
        }
    }

    /// What the browser says when the server does not answer at all.
    pub fn unreachable() -> Self {
        Self::Unavailable {
            message: "Cannot reach the server. Check your connection and try again.".into(),
        }
    }

    pub fn internal() -> Self {
        Self::Internal {
            message: "Something went wrong on our side.".into(),
        }
    }

    /// The HTTP status this error is sent with: the one mapping, kept exhaustive.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::Unauthenticated { .. } => 401,
            Self::Forbidden { .. } | Self::ReauthRequired { .. } | Self::EmailUnverified { .. } => {
                403
            }
            Self::NotFound { .. } => 404,
            Self::Conflict { .. } => 409,
            Self::Validation { .. } => 422,
            Self::RateLimited { .. } => 429,
            Self::Internal { .. } => 500,
            Self::Unavailable { .. } => 503,
        }
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        match self {
            Self::Validation { message, .. }
            | Self::BadRequest { message }
            | Self::Unauthenticated { message }
            | Self::Forbidden { message }
            | Self::ReauthRequired { message }
            | Self::EmailUnverified { message }
            | Self::NotFound { message }
            | Self::Conflict { message }
            | Self::RateLimited { message, .. }
            | Self::Unavailable { message }
            | Self::Internal { message } => message,
        }
    }

    /// The message for one field, if the server refused it.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        match self {
            Self::Validation { fields, .. } => fields
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.message.as_str()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_json_with_its_kind() {
        let cases = [
            (
                AppError::validation("email", "is not an email address"),
                "validation",
                422,
            ),
            (AppError::bad_request("bad json"), "bad_request", 400),
            (AppError::unauthenticated(), "unauthenticated", 401),
            (AppError::forbidden("no"), "forbidden", 403),
            (AppError::reauth_required(), "reauth_required", 403),
            (AppError::email_unverified(), "email_unverified", 403),
            (AppError::not_found("Todo"), "not_found", 404),
            (AppError::conflict("taken"), "conflict", 409),
            (AppError::rate_limited(30), "rate_limited", 429),
            (AppError::unavailable("Sign-in"), "unavailable", 503),
            (AppError::internal(), "internal", 500),
        ];
        for (error, kind, status) in cases {
            let json = serde_json::to_value(&error).unwrap();
            assert_eq!(json["error"], kind);
            assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
            assert_eq!(error.status(), status);
            assert_eq!(serde_json::from_value::<AppError>(json).unwrap(), error);
        }
    }

    #[test]
    fn validation_errors_name_the_field() {
        let error = AppError::validation("title", "must not be empty");
        assert_eq!(error.field_message("title"), Some("must not be empty"));
        assert_eq!(error.field_message("done"), None);
    }
}
