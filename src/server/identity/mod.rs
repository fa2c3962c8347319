//! Accounts and signing in. Owns the `users` table ([`users`]).
//!
//! Every way of signing in — a password ([`password`]), Google ([`google`]), a passkey
//! ([`passkey`]), a second factor ([`second_factor`]) — proves who the user is and then ends in
//! [`sign_in::complete`], which holds every rule of a finished sign-in. Changes to a user go
//! through [`accounts`], which announces each one to every instance. [`current`] authenticates
//! each request.

pub mod account_data;
pub mod accounts;
pub mod credential_events;
pub mod current;
pub mod device;
pub mod email_change;
pub mod email_routes;
pub mod google;
pub mod me_routes;
pub mod method;
pub mod passkey;
pub mod password;
pub mod profile;
pub mod second_factor;
pub mod sign_in;
pub mod step_up;
pub mod throttle;
pub mod tokens;
pub mod user_cache;
pub mod users;
pub mod verification;
