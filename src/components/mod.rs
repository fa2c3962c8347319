//! Reusable views.

pub mod check_inbox;
pub mod form;
pub mod format;
pub mod link_token;
pub mod load;
pub mod nav;
pub mod passkey;
pub mod reauth;
