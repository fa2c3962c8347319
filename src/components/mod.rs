//! Reusable views.

pub mod form;
pub mod format;
pub mod nav;
