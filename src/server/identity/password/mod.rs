//! Email and password: sign-up, sign-in and password change ([`service`]), reset through a
//! mailed link ([`reset`]), argon2id ([`hashing`]), and their adapters — the JSON API
//! ([`routes`]) and the HTML forms that work before the WASM loads ([`forms`]).

pub mod forms;
pub mod hashing;
pub mod reset;
pub mod routes;
pub mod service;
