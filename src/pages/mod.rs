//! One module per route.

pub mod admin;
pub mod confirm_email;
pub mod customers;
pub mod forbidden;
pub mod forgot_password;
pub mod home;
pub mod login;
pub mod not_found;
pub mod profile;
pub mod reset_password;
pub mod second_factor;
pub mod security;
pub mod sessions;
pub mod signup;
pub mod todos;
pub mod verify_email;
pub mod welcome;
