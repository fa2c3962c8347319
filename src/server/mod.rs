//! Everything that only runs on the server, laid out by feature. Each feature folder owns its
//! routes (thin adapters), its service (the rules) and its SQL; each table has one owning
//! module, named in that module's header.
//!
//! - [`identity`]: accounts and how one signs in — users, passwords, Google, the sign-in
//!   completion every method ends in, the signed-in request;
//! - [`sessions`]: session stores, the session index, ending sessions;
//! - [`mail`]: the outbox, the sender, the development mailbox;
//! - [`admin`], [`todos`], [`customers`], [`audit`]: the app's other features;
//! - [`api`]: the JSON API's route table and its OpenAPI document;
//! - [`http`]: HTTP pieces shared by every feature — errors, extractors, security headers and
//!   the cross-site check, proxies;
//! - [`platform`]: settings, start-up, state, telemetry, metrics, health, the command line;
//! - [`db`]: the SQL pools and the clock.

pub mod admin;
pub mod api;
pub mod audit;
pub mod customers;
pub mod db;
pub mod http;
pub mod identity;
pub mod mail;
pub mod platform;
pub mod sessions;
pub mod todos;
