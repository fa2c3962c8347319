//! HTTP pieces every feature shares: the error mapping and body extractors, success answers,
//! the client's address and device cookie, input parsing helpers, security headers and the cross-site check,
//! proxies, and how these types describe themselves in the OpenAPI document.

pub mod client;
pub mod device_cookie;
pub mod error;
pub mod openapi;
pub mod parse;
pub mod proxies;
pub mod response;
pub mod security;
pub mod server_fns;

/// The largest request body the API and the server functions read (SECURITY X6).
pub const BODY_LIMIT: usize = 64 * 1024;
