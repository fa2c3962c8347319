//! Each user's own todos. Owns the `todos` table ([`repo`]); [`service`] holds the rules and
//! [`routes`] the JSON adapters.

pub mod repo;
pub mod routes;
pub mod service;
