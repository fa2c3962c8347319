//! Tells the browser build whether cargo-leptos is splitting it into chunks, and rebuilds the
//! server when a migration is added.
//!
//! The private pages are lazy routes (`src/app.rs`). In a split build (`cargo leptos build
//! --split`) each becomes a WASM chunk of its own, fetched on demand; but the imports a lazy
//! route leaves in the bundle are resolved only by the splitting step, so an unsplit bundle
//! with lazy routes fails to load (`Failed to resolve module specifier
//! "__wasm_split_placeholder__"`). cargo-leptos has no setting that turns splitting on, and
//! `cargo leptos watch`, `serve` and `build` do not split, so the browser build compiles the
//! pages as lazy routes only when it is split, and as ordinary routes otherwise.
//!
//! cargo-leptos 0.3 splits exactly when it links the browser build with `--emit-relocs`
//! (wasm-split reads the relocations), which it passes in `RUSTFLAGS`; that is what is read
//! here, and it sets `cfg(gatehouse_split)`. A change of flags rebuilds the crate and reruns
//! this script, so a split and an unsplit build never share a compiled crate.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(gatehouse_split)");
    println!("cargo::rerun-if-changed=build.rs");
    // `sqlx::migrate!` embeds migrations/ at compile time but cannot tell cargo to watch the
    // folder: without this, a new migration file would not rebuild the server.
    println!("cargo::rerun-if-changed=migrations");
    println!("cargo::rerun-if-env-changed=RUSTFLAGS");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if wasm
        && flags
            .split('\x1f')
            .any(|flag| flag.contains("--emit-relocs"))
    {
        println!("cargo::rustc-cfg=gatehouse_split");
    }
}
