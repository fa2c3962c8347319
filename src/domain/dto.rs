//! The JSON bodies of the API, as both the server and the browser see them. Request bodies hold
//! raw strings; the server parses them into the validated newtypes and answers 422 naming the
//! field that failed.

use serde::{Deserialize, Serialize};

/// The signed-in user, as `GET /api/users/me` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    /// Whether the account can sign in with a password.
    pub has_password: bool,
    /// Whether a Google account is linked.
    pub has_google: bool,
    /// RFC 3339.
    pub created_at: String,
}

/// `POST /api/auth/signup`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignupRequest {
    pub email: String,
    pub password: String,
    pub name: String,
}

/// `POST /api/auth/login`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `PATCH /api/users/me`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UpdateProfileRequest {
    pub name: String,
}

/// `POST /api/users/me/password`. `current_password` may be empty for an account that has none
/// yet (signed up with Google).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChangePasswordRequest {
    #[serde(default)]
    pub current_password: String,
    pub new_password: String,
}

/// One todo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    pub id: i64,
    pub title: String,
    pub done: bool,
}

/// `POST /api/todos`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewTodoRequest {
    pub title: String,
}

/// `PATCH /api/todos/{id}`: any subset of the fields.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UpdateTodoRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<bool>,
}

/// A customer record, as `GET /api/customers` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub company: String,
    pub plan: String,
    /// RFC 3339.
    pub created_at: String,
}

/// `GET /api/auth/google/nonce`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GoogleNonce {
    pub nonce: String,
}

/// `POST /api/auth/google`: the ID token Google's Identity Services returned.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GoogleCredential {
    pub credential: String,
}
