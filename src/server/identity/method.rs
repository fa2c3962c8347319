//! How a user proved who they are ([`Method`]), and whether the account is new ([`Arrival`]):
//! what every sign-in records, and what a sign-in held for its second factor remembers.

/// How the user proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Method {
    /// Email and password, through the JSON API.
    Password,
    /// Email and password, through the HTML form (no JavaScript).
    PasswordForm,
    /// A Google ID token.
    Google,
    /// A code from an authenticator app, after a first factor.
    Totp,
    /// A recovery code, after a first factor.
    RecoveryCode,
    /// A passkey with user verification: something the user has and something they know or
    /// are, so both factors at once (SECURITY M5).
    Passkey,
}

impl Method {
    /// How the audit trail names it.
    pub fn detail(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::PasswordForm => "password form",
            Method::Google => "google",
            Method::Totp => "totp",
            Method::RecoveryCode => "recovery code",
            Method::Passkey => "passkey",
        }
    }

    /// The `method` label of the sign-in metric.
    pub fn metric(self) -> &'static str {
        match self {
            Method::Password | Method::PasswordForm => "password",
            Method::Google => "google",
            Method::Totp => "totp",
            Method::RecoveryCode => "recovery_code",
            Method::Passkey => "passkey",
        }
    }

    /// Whether the method proves both factors by itself, so no second factor is asked for.
    pub fn is_multi_factor(self) -> bool {
        matches!(self, Method::Passkey)
    }
}

/// Whether the account is new (a sign-up) or existed (a sign-in); only the audit trail differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Arrival {
    SignUp,
    SignIn,
}
