//! The browser's view of who is signed in: a reactive store, the cached `/api/users/me` check,
//! and the wrapper that guards private pages.

pub mod google;
pub mod guard;
pub mod initial;
pub mod passkey;
pub mod store;

pub use guard::{RequireAdmin, RequireAuth};
pub use store::{AuthStore, complete_sign_in, use_auth};
