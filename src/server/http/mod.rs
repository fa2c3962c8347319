//! HTTP pieces every feature shares: the error mapping and body extractors, the client's
//! address, input parsing helpers, security headers and the cross-site check, and proxies.

pub mod client;
pub mod error;
pub mod parse;
pub mod proxies;
pub mod security;
