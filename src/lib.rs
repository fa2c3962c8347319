//! Gatehouse: a Leptos app with production-grade authentication.
//!
//! Shared modules compile for both the server and the browser; `server` is server-only and is
//! the one module gated here.
#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod auth;
pub mod components;
pub mod domain;
pub mod error;
pub mod fns;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod server;

/// The browser entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy: in a split build the private pages are WASM chunks, which a first load of those
    // pages fetches before hydrating (src/app.rs).
    leptos::mount::hydrate_lazy(app::App);
}
