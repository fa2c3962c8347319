//! The integration tests: one binary, one module per feature, each against the real server
//! (`Application::build`, as `main` runs it) on real SQLite, PostgreSQL and Redis. The scenario
//! suites run on all four pairs of SQL backend and session store (`on_every_backend!`).
//!
//! One binary rather than one per file: each would link the whole server again.

#[macro_use]
mod common;

mod admin;
mod auth;
mod cors;
mod credential_events;
mod email;
mod faults;
mod foundation;
pub mod google;
mod layout;
mod multi_instance;
mod openapi;
mod operations;
mod outbox;
mod pages;
pub mod passkeys;
mod races;
mod server_fns;
mod session_stores;
mod sessions;
pub mod step_up;
mod throttling;
mod topologies;
pub mod two_factor;
