//! The JSON bodies of the API, as both the server and the browser see them. Request bodies hold
//! raw strings; the server parses them into the validated newtypes and answers 422 naming the
//! field that failed.

use serde::{Deserialize, Serialize};

/// The signed-in user, as `GET /api/users/me` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CurrentUser {
    pub id: i64,
    #[cfg_attr(feature = "ssr", schemars(email))]
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    /// Whether the account can sign in with a password.
    pub has_password: bool,
    /// Whether a Google account is linked.
    pub has_google: bool,
    /// Whether the email address is proven (the mailed link, a password reset, or Google).
    pub email_verified: bool,
    /// RFC 3339.
    #[cfg_attr(feature = "ssr", schemars(extend("format" = "date-time")))]
    pub created_at: String,
}

/// `POST /api/auth/signup`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SignupRequest {
    pub email: String,
    pub password: String,
    pub name: String,
}

/// `POST /api/auth/login`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `PATCH /api/users/me`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct UpdateProfileRequest {
    pub name: String,
}

/// `POST /api/users/me/password`. `current_password` may be empty for an account that has none
/// yet (signed up with Google).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ChangePasswordRequest {
    #[serde(default)]
    pub current_password: String,
    pub new_password: String,
}

/// `POST /api/auth/reauth`: confirm who you are with the password, a fresh Google ID token
/// (issued for a nonce from `GET /api/auth/google/nonce`), or one of the account's passkeys
/// (answering `POST /api/auth/reauth/options`). Exactly one of the three; an account with
/// two-factor sign-in also gives a current `code` from its authenticator app, except with a
/// passkey, which proves both factors.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ReauthRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The browser's answer to `POST /api/auth/reauth/options`, as
    /// `PublicKeyCredential.toJSON()` gives it: a passkey of this account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey: Option<serde_json::Value>,
}

/// `POST /api/auth/verify-email` and `POST /api/users/me/email/confirm`: the token from the
/// mailed link.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TokenRequest {
    pub token: String,
}

/// `POST /api/auth/password-reset`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PasswordResetRequest {
    pub email: String,
}

/// `POST /api/auth/password-reset/confirm`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PasswordResetConfirmation {
    pub token: String,
    pub new_password: String,
}

/// `POST /api/users/me/email`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct EmailChangeRequest {
    pub new_email: String,
}

/// `GET /api/users/me/export`: everything kept about the signed-in user.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AccountExport {
    pub user: CurrentUser,
    pub todos: Vec<Todo>,
    pub sessions: Vec<SessionInfo>,
    /// Two-factor sign-in (never its secret or codes).
    pub second_factor: SecondFactorStatus,
    /// The user's passkeys (never their keys).
    pub passkeys: Vec<PasskeyInfo>,
    /// The audit trail's events about the user, newest first.
    pub audit: Vec<AuditEvent>,
}

/// One todo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Todo {
    pub id: i64,
    pub title: String,
    pub done: bool,
}

/// `POST /api/todos`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct NewTodoRequest {
    pub title: String,
}

/// `PATCH /api/todos/{id}`: any subset of the fields.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct UpdateTodoRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<bool>,
}

/// A customer record, as `GET /api/customers` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub company: String,
    #[cfg_attr(
        feature = "ssr",
        schemars(extend("enum" = ["free", "team", "enterprise"]))
    )]
    pub plan: String,
    /// RFC 3339.
    #[cfg_attr(feature = "ssr", schemars(extend("format" = "date-time")))]
    pub created_at: String,
}

/// `GET /api/auth/google/nonce`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct GoogleNonce {
    pub nonce: String,
}

/// `POST /api/auth/google`: the ID token Google's Identity Services returned.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct GoogleCredential {
    pub credential: String,
}

/// One live session, as `GET /api/sessions` and the admin console list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ssr", schemars(rename = "Session"))]
pub struct SessionInfo {
    /// An opaque handle for `DELETE /api/sessions/{id}`: never the cookie's value, and useless
    /// as one.
    pub id: String,
    /// RFC 3339.
    #[cfg_attr(feature = "ssr", schemars(extend("format" = "date-time")))]
    pub created_at: String,
    /// RFC 3339, accurate to about a minute.
    #[cfg_attr(feature = "ssr", schemars(extend("format" = "date-time")))]
    pub last_seen_at: String,
    pub ip: String,
    pub user_agent: String,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// `?page=&per_page=` of a paged list: pages count from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub const DEFAULT_PER_PAGE: u32 = 20;
    pub const MAX_PER_PAGE: u32 = 100;

    /// Reads the two parameters, either of which may be absent.
    pub fn parse(
        page: Option<&str>,
        per_page: Option<&str>,
    ) -> Result<Self, (&'static str, String)> {
        let number = |name: &'static str, raw: Option<&str>, default: u32, max: u32| match raw {
            None | Some("") => Ok(default),
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err((name, format!("must be a whole number from 1 to {max}"))),
            },
        };
        Ok(Self {
            page: number("page", page, 1, 1_000_000)?,
            per_page: number(
                "per_page",
                per_page,
                Self::DEFAULT_PER_PAGE,
                Self::MAX_PER_PAGE,
            )?,
        })
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

/// An account as the admin console sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ssr", schemars(rename = "AdminUser"))]
pub struct AdminUserView {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub has_password: bool,
    pub has_google: bool,
    pub email_verified: bool,
    /// RFC 3339.
    #[cfg_attr(feature = "ssr", schemars(extend("format" = "date-time")))]
    pub created_at: String,
    /// How many live sessions the user has.
    pub session_count: u64,
}

/// `GET /api/admin/users`: one page of users, oldest account first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct UserPage {
    pub users: Vec<AdminUserView>,
    pub page: u32,
    pub per_page: u32,
    /// How many users match the query, over all pages.
    pub total: u64,
}

/// `PATCH /api/admin/users/{id}`: either or both.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AdminUserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_admin: Option<bool>,
}

/// One entry of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
// Every field is always sent, `null` included: required, and nullable where optional.
#[cfg_attr(
    feature = "ssr",
    schemars(extend("required" = [
        "id", "at", "kind", "user_id", "email", "actor_id", "actor_email", "ip", "detail"
    ]))
)]
pub struct AuditEvent {
    pub id: i64,
    /// RFC 3339.
    #[cfg_attr(feature = "ssr", schemars(extend("format" = "date-time")))]
    pub at: String,
    /// `sign_in`, `sign_in_failed`, `sign_out`, `session_revoked`, `user_disabled`, …
    pub kind: String,
    /// Whom it concerns.
    pub user_id: Option<i64>,
    pub email: Option<String>,
    /// Who did it, when that was someone else (an admin).
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub ip: String,
    pub detail: String,
}

/// `GET /api/admin/audit`: one page of events, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

/// `POST /api/customers`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct NewCustomerRequest {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub company: String,
    /// `free` (the default), `team` or `enterprise`.
    #[serde(default)]
    pub plan: Option<String>,
}

/// `PATCH /api/customers/{id}`: any subset of the fields.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct UpdateCustomerRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
}

/// What `POST /api/auth/login` and `POST /api/auth/google` answer with 200: the signed-in user,
/// or, for an account with a second factor, the request for it (no session is signed in yet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum SignInResponse {
    SecondFactor(SecondFactorRequired),
    SignedIn(CurrentUser),
}

/// The first factor was right; `POST /api/auth/login/second-factor` completes the sign-in
/// within five minutes, with one of `methods`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SecondFactorRequired {
    /// Always `true`.
    pub second_factor_required: bool,
    /// What the account accepts: `totp`, `recovery_code`.
    pub methods: Vec<String>,
}

/// `POST /api/auth/login/second-factor`: exactly one of a code from the authenticator app and
/// a recovery code.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SecondFactorRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// `POST /api/users/me/totp`: the new authenticator's secret, to scan or type into the app.
/// Nothing changes until `POST /api/users/me/totp/confirm` proves the app holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TotpEnrolment {
    /// Base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/…`, what the QR code holds.
    pub otpauth_uri: String,
    /// The QR code, as an SVG document.
    pub qr_svg: String,
}

/// `POST /api/users/me/totp/confirm`: a code from the authenticator app.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TotpCodeRequest {
    pub code: String,
}

/// A fresh set of recovery codes, shown once: each signs in once instead of a code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// `GET /api/users/me/second-factor`: the account's second factor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SecondFactorStatus {
    /// Whether sign-in asks for a code from an authenticator app.
    pub totp_enabled: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
    /// Whether this server can turn two-factor sign-in on (it has `secrets_key`).
    pub available: bool,
}

/// WebAuthn options, as `{"publicKey": {…}}`: the `publicKey` member is the JSON that
/// `PublicKeyCredential.parseCreationOptionsFromJSON` (enrolment) or
/// `parseRequestOptionsFromJSON` (sign-in) reads, binary members in base64url.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PasskeyOptions {
    #[serde(rename = "publicKey")]
    pub public_key: serde_json::Value,
}

/// `POST /api/auth/passkey`: the browser's answer to the sign-in options, as
/// `PublicKeyCredential.toJSON()` gives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PasskeySignInRequest {
    pub credential: serde_json::Value,
}

/// `POST /api/users/me/passkeys`: the browser's answer to the creation options, and a name
/// for the new passkey ("Passkey" when none is given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PasskeyEnrolRequest {
    pub credential: serde_json::Value,
    #[serde(default)]
    pub name: Option<String>,
}

/// `PATCH /api/users/me/passkeys/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PasskeyRename {
    /// 1 to 64 characters.
    pub name: String,
}

/// One of the signed-in user's passkeys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PasskeyInfo {
    /// For `PATCH` and `DELETE /api/users/me/passkeys/{id}`.
    pub id: i64,
    pub name: String,
    /// RFC 3339.
    #[cfg_attr(feature = "ssr", schemars(extend("format" = "date-time")))]
    pub created_at: String,
    /// RFC 3339; none before its first sign-in.
    #[cfg_attr(feature = "ssr", schemars(extend("format" = "date-time")))]
    pub last_used_at: Option<String>,
}
