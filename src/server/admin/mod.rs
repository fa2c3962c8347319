//! The admin console's API: users, their sessions, the audit trail. Owns no table: it works
//! through [`identity::accounts`](super::identity::accounts), the sessions service and the audit
//! trail.

pub mod routes;
pub mod service;
