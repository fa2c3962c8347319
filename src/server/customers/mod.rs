//! Customer records: read by everyone signed in, managed by admins. Owns the `customers` table
//! ([`repo`]); [`service`] holds the rules and [`routes`] the JSON adapters.

pub mod repo;
pub mod routes;
pub mod service;
