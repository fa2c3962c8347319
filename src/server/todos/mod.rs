//! Each user's own todos. Owns the `todos` table ([`repo`]).

pub mod repo;
pub mod routes;
