//! Why a form posted without JavaScript failed, as the redirect back to the form carries it: a
//! code, never text (SECURITY P10). The server turns an [`AppError`] into a code; the page
//! turns a code it knows into its own message and ignores any other, so nobody can make
//! `/login` show words of their choosing through a link.

use crate::error::AppError;

/// The failure of a sign-in or sign-up form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormError {
    /// Wrong email or password.
    Credentials,
    /// Too many attempts.
    Throttled,
    /// The account is disabled.
    Disabled,
    /// A field was refused; which ones travel as [`Field`] codes.
    Invalid,
    /// The email already has an account.
    Taken,
    /// A service the server needs is down.
    Unavailable,
    /// A sign-in waiting for its second factor is over (too slow, or too many wrong codes).
    Restart,
    /// Anything else.
    Failed,
}

impl FormError {
    const ALL: [Self; 8] = [
        Self::Credentials,
        Self::Throttled,
        Self::Disabled,
        Self::Invalid,
        Self::Taken,
        Self::Unavailable,
        Self::Restart,
        Self::Failed,
    ];

    /// The code for a failure the server answered with.
    pub fn of(err: &AppError) -> Self {
        match err {
            AppError::Unauthenticated { .. } => Self::Credentials,
            AppError::RateLimited { .. } => Self::Throttled,
            AppError::Forbidden { .. }
            | AppError::ReauthRequired { .. }
            | AppError::EmailUnverified { .. } => Self::Disabled,
            AppError::Validation { .. } | AppError::BadRequest { .. } => Self::Invalid,
            AppError::Conflict { .. } => Self::Taken,
            AppError::Unavailable { .. } => Self::Unavailable,
            AppError::NotFound { .. } | AppError::Internal { .. } => Self::Failed,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Credentials => "credentials",
            Self::Throttled => "throttled",
            Self::Disabled => "disabled",
            Self::Invalid => "invalid",
            Self::Taken => "taken",
            Self::Unavailable => "unavailable",
            Self::Restart => "restart",
            Self::Failed => "failed",
        }
    }

    /// The failure a code names; `None` for any other text.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|error| error.code() == code)
    }

    /// What the page says.
    pub fn message(self) -> &'static str {
        match self {
            Self::Credentials => "Incorrect email or password.",
            Self::Throttled => "Too many attempts. Wait a few minutes, then try again.",
            Self::Disabled => "This account is disabled.",
            Self::Invalid => "Please correct the fields below.",
            Self::Taken => "An account with this email already exists.",
            Self::Unavailable => "The service is unavailable right now. Please try again shortly.",
            Self::Restart => {
                "That sign-in took too long or had too many wrong codes. Sign in again."
            }
            Self::Failed => "Something went wrong on our side.",
        }
    }
}

/// A sign-up field the server refused, and what the page says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Email,
    Password,
    Name,
}

impl Field {
    pub const ALL: [Self; 3] = [Self::Email, Self::Password, Self::Name];

    /// The field's form name, which is also its code.
    pub fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Password => "password",
            Self::Name => "name",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.name() == code)
    }

    /// What the page says under the field.
    pub fn message(self) -> &'static str {
        match self {
            Self::Email => "Enter an email address like name@example.com.",
            Self::Password => {
                "Choose a password of at least 8 characters that is not one of the most common."
            }
            Self::Name => "Enter a name of at most 100 characters, without control characters.",
        }
    }

    /// The fields `err` refused, as a comma-separated list of codes.
    pub fn codes_of(err: &AppError) -> String {
        match err {
            AppError::Validation { fields, .. } => fields
                .iter()
                .filter_map(|field| Self::from_code(&field.field))
                .map(Self::name)
                .collect::<Vec<_>>()
                .join(","),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_names_its_failure_and_nothing_else_does() {
        for error in FormError::ALL {
            assert_eq!(FormError::from_code(error.code()), Some(error));
        }
        for text in [
            "",
            "Incorrect email or password.",
            "<script>",
            "Credentials",
        ] {
            assert_eq!(FormError::from_code(text), None, "{text}");
        }
    }

    #[test]
    fn field_codes_list_only_known_fields() {
        let err = AppError::Validation {
            message: "x".into(),
            fields: vec![
                crate::error::FieldError {
                    field: "email".into(),
                    message: "must be an email address".into(),
                },
                crate::error::FieldError {
                    field: "nonsense".into(),
                    message: "?".into(),
                },
                crate::error::FieldError {
                    field: "password".into(),
                    message: "is too short".into(),
                },
            ],
        };
        assert_eq!(Field::codes_of(&err), "email,password");
        assert_eq!(Field::codes_of(&AppError::internal()), "");
    }
}
