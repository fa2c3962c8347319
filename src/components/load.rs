//! Where a page's list stands: the one state machine every list-loading view shares.

/// What a list shows: a placeholder while it loads, its items, or why it failed (with Retry).
#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    Loading,
    Ready,
    Failed(String),
}
