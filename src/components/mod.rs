//! Reusable views.

pub mod nav;
