//! Reusable views.

pub mod form;
pub mod format;
pub mod load;
pub mod nav;
pub mod reauth;
