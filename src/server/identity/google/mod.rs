//! Google Sign-In: the ID-token verifier ([`verifier`]), the account a verified identity opens
//! ([`service`]), and the JSON adapters ([`routes`]).

pub mod routes;
pub mod service;
pub mod verifier;
