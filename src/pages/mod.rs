//! One module per route.

pub mod admin;
pub mod customers;
pub mod forbidden;
pub mod home;
pub mod login;
pub mod not_found;
pub mod profile;
pub mod sessions;
pub mod signup;
pub mod todos;
pub mod welcome;
