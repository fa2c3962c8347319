//! Sessions: where they are stored ([`store`]: the embedded SQL store or Redis, behind keyed
//! hashing), the index of each user's sessions ([`index`], owner of `user_sessions`), what a
//! signed-in session holds and how sessions are issued, rotated and ended ([`service`]), and the
//! user's own session list ([`routes`]).

pub mod index;
pub mod routes;
pub mod service;
pub mod store;
