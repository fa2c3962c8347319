//! The token of a mailed link (`/verify-email`, `/reset-password`, `/confirm-email`): read once
//! from the address the link opened, then taken out of the address bar.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The `token` query parameter of this page's address, for the page's form to post.
///
/// # Security
/// The token is a bearer secret for as long as it is valid: left in the address it stays in the
/// browser's history, goes out in the `Referer` of the page's requests and shows on screen. Once
/// the page is interactive the browser replaces the address with one without it (an Effect: the
/// server-rendered form already holds the token in a hidden field, so the page works without
/// JavaScript too).
pub fn link_token() -> StoredValue<String> {
    let token =
        StoredValue::new(use_query_map().with_untracked(|q| q.get("token").unwrap_or_default()));
    Effect::new(move |_| drop_token_from_address());
    token
}

/// Replaces the current history entry with this address minus its `token` parameter. The
/// router does not watch `replaceState`, so the page stays as it is.
#[cfg(feature = "hydrate")]
fn drop_token_from_address() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(url) = window
        .location()
        .href()
        .and_then(|href| web_sys::Url::new(&href))
    else {
        return;
    };
    if url.search_params().get("token").is_none() {
        return;
    }
    url.search_params().delete("token");
    if let Ok(history) = window.history() {
        let state = history.state().unwrap_or(wasm_bindgen::JsValue::NULL);
        let _ = history.replace_state_with_url(&state, "", Some(&url.href()));
    }
}

/// The server renders the address it was asked for; only the browser changes it.
#[cfg(not(feature = "hydrate"))]
fn drop_token_from_address() {}
