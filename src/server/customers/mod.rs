//! Customer records: read by everyone signed in, managed by admins. Owns the `customers` table
//! ([`repo`]).

pub mod repo;
pub mod routes;
