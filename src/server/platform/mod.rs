//! The platform the features run on: settings, start-up (state, routes, middleware), telemetry,
//! metrics, health probes, the app's own keys and the command line.

pub mod cli;
pub mod config;
pub mod health;
pub mod metrics;
pub mod redis_url;
pub mod sealing;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod telemetry;
