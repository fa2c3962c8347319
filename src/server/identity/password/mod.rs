//! Email and password: sign-up, sign-in and password change ([`service`]), argon2id
//! ([`hashing`]), and their adapters — the JSON API ([`routes`]) and the HTML forms that work
//! before the WASM loads ([`forms`]).

pub mod forms;
pub mod hashing;
pub mod routes;
pub mod service;
