//! Every operation of the JSON API, method and path, written once: the server's route table
//! registers exactly these ([`server::api`](crate::server)), and the browser's client calls them
//! ([`crate::api`]). Paths are relative to [`PREFIX`] and use axum's `{id}` for the one
//! parameter some of them take.

use super::next::encode_component;

/// Where the API is served.
pub const PREFIX: &str = "/api";

/// An HTTP method the API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// One operation: a method on a path template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub method: Method,
    /// Relative to [`PREFIX`], e.g. `/todos/{id}`.
    pub path: &'static str,
}

impl Endpoint {
    const fn new(method: Method, path: &'static str) -> Self {
        Self { method, path }
    }

    /// The URL of an endpoint without a parameter.
    pub fn url(self) -> String {
        format!("{PREFIX}{}", self.path)
    }

    /// The URL with `{id}` replaced by `id`, percent-encoded.
    pub fn url_for(self, id: impl std::fmt::Display) -> String {
        self.url()
            .replace("{id}", &encode_component(&id.to_string()))
    }
}

use Method::{Delete, Get, Patch, Post};

pub const SIGN_UP: Endpoint = Endpoint::new(Post, "/auth/signup");
pub const LOG_IN: Endpoint = Endpoint::new(Post, "/auth/login");
pub const LOG_OUT: Endpoint = Endpoint::new(Post, "/auth/logout");
pub const GOOGLE_NONCE: Endpoint = Endpoint::new(Get, "/auth/google/nonce");
pub const GOOGLE_SIGN_IN: Endpoint = Endpoint::new(Post, "/auth/google");
pub const REAUTH: Endpoint = Endpoint::new(Post, "/auth/reauth");
pub const REAUTH_OPTIONS: Endpoint = Endpoint::new(Post, "/auth/reauth/options");
pub const VERIFY_EMAIL: Endpoint = Endpoint::new(Post, "/auth/verify-email");
pub const RESEND_VERIFICATION: Endpoint = Endpoint::new(Post, "/auth/verify-email/resend");
pub const REQUEST_PASSWORD_RESET: Endpoint = Endpoint::new(Post, "/auth/password-reset");
pub const RESET_PASSWORD: Endpoint = Endpoint::new(Post, "/auth/password-reset/confirm");
pub const SECOND_FACTOR_SIGN_IN: Endpoint = Endpoint::new(Post, "/auth/login/second-factor");
pub const PASSKEY_SIGN_IN_OPTIONS: Endpoint = Endpoint::new(Post, "/auth/passkey/options");
pub const PASSKEY_SIGN_IN: Endpoint = Endpoint::new(Post, "/auth/passkey");

pub const GET_ME: Endpoint = Endpoint::new(Get, "/users/me");
pub const UPDATE_ME: Endpoint = Endpoint::new(Patch, "/users/me");
pub const CHANGE_PASSWORD: Endpoint = Endpoint::new(Post, "/users/me/password");
pub const DELETE_ME: Endpoint = Endpoint::new(Delete, "/users/me");
pub const EXPORT_ME: Endpoint = Endpoint::new(Get, "/users/me/export");
pub const CHANGE_EMAIL: Endpoint = Endpoint::new(Post, "/users/me/email");
pub const CONFIRM_EMAIL_CHANGE: Endpoint = Endpoint::new(Post, "/users/me/email/confirm");
pub const SECOND_FACTOR_STATUS: Endpoint = Endpoint::new(Get, "/users/me/second-factor");
pub const BEGIN_TOTP: Endpoint = Endpoint::new(Post, "/users/me/totp");
pub const CONFIRM_TOTP: Endpoint = Endpoint::new(Post, "/users/me/totp/confirm");
pub const DISABLE_TOTP: Endpoint = Endpoint::new(Delete, "/users/me/totp");
pub const REGENERATE_RECOVERY_CODES: Endpoint = Endpoint::new(Post, "/users/me/recovery-codes");
pub const PASSKEY_ENROL_OPTIONS: Endpoint = Endpoint::new(Post, "/users/me/passkeys/options");
pub const ADD_PASSKEY: Endpoint = Endpoint::new(Post, "/users/me/passkeys");
pub const LIST_PASSKEYS: Endpoint = Endpoint::new(Get, "/users/me/passkeys");
pub const RENAME_PASSKEY: Endpoint = Endpoint::new(Patch, "/users/me/passkeys/{id}");
pub const REMOVE_PASSKEY: Endpoint = Endpoint::new(Delete, "/users/me/passkeys/{id}");

pub const LIST_TODOS: Endpoint = Endpoint::new(Get, "/todos");
pub const CREATE_TODO: Endpoint = Endpoint::new(Post, "/todos");
pub const UPDATE_TODO: Endpoint = Endpoint::new(Patch, "/todos/{id}");
pub const DELETE_TODO: Endpoint = Endpoint::new(Delete, "/todos/{id}");

pub const LIST_CUSTOMERS: Endpoint = Endpoint::new(Get, "/customers");
pub const CREATE_CUSTOMER: Endpoint = Endpoint::new(Post, "/customers");
pub const GET_CUSTOMER: Endpoint = Endpoint::new(Get, "/customers/{id}");
pub const UPDATE_CUSTOMER: Endpoint = Endpoint::new(Patch, "/customers/{id}");
pub const DELETE_CUSTOMER: Endpoint = Endpoint::new(Delete, "/customers/{id}");

pub const LIST_SESSIONS: Endpoint = Endpoint::new(Get, "/sessions");
pub const END_OTHER_SESSIONS: Endpoint = Endpoint::new(Delete, "/sessions");
pub const END_SESSION: Endpoint = Endpoint::new(Delete, "/sessions/{id}");

pub const ADMIN_LIST_USERS: Endpoint = Endpoint::new(Get, "/admin/users");
pub const ADMIN_UPDATE_USER: Endpoint = Endpoint::new(Patch, "/admin/users/{id}");
pub const ADMIN_USER_SESSIONS: Endpoint = Endpoint::new(Get, "/admin/users/{id}/sessions");
pub const ADMIN_END_USER_SESSIONS: Endpoint = Endpoint::new(Delete, "/admin/users/{id}/sessions");
pub const ADMIN_AUDIT: Endpoint = Endpoint::new(Get, "/admin/audit");
pub const ADMIN_SEND_VERIFICATION: Endpoint = Endpoint::new(Post, "/admin/users/{id}/verification");
pub const ADMIN_SEND_PASSWORD_RESET: Endpoint =
    Endpoint::new(Post, "/admin/users/{id}/password-reset");
pub const ADMIN_RESET_SECOND_FACTOR: Endpoint =
    Endpoint::new(Delete, "/admin/users/{id}/second-factor");

pub const OPENAPI: Endpoint = Endpoint::new(Get, "/openapi.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_prefix_and_an_encoded_id() {
        assert_eq!(GET_ME.url(), "/api/users/me");
        assert_eq!(DELETE_TODO.url_for(7), "/api/todos/7");
        assert_eq!(END_SESSION.url_for("a/b c"), "/api/sessions/a%2Fb%20c");
    }
}
