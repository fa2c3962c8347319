//! Everything that only runs on the server: settings, start-up, state, storage and sessions.

pub mod config;
pub mod db;
pub mod health;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod telemetry;
