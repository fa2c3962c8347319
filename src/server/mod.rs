//! Everything that only runs on the server: settings, start-up, state, storage and sessions.

pub mod api;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod customers;
pub mod db;
pub mod forms;
pub mod google;
pub mod health;
pub mod http_error;
pub mod metrics;
pub mod passwords;
pub mod proxies;
pub mod security;
pub mod session_index;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod todos;
pub mod user_cache;
pub mod users;
