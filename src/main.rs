//! The Gatehouse server binary: load settings, set up logging, serve until told to stop.
#![forbid(unsafe_code)]

use anyhow::Context;
use gatehouse::server::platform::{
    cli::{self, Command},
    config::Settings,
    startup::Application,
    telemetry,
};

/// jemalloc, set up in `.cargo/config.toml` to return freed memory to the system promptly.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = Command::parse(&args)?;
    if command == Command::Help {
        println!("{}", cli::USAGE);
        return Ok(());
    }
    let settings = Settings::load()?;
    telemetry::init(settings.log_format);
    if command != Command::Serve {
        return cli::run(command, &settings).await;
    }

    let mut leptos_options = leptos::config::get_configuration(None)
        .context("reading the Leptos build settings")?
        .leptos_options;
    leptos_options.site_addr = settings.site_addr;
    // cargo-leptos names assets by content hash and writes the hashes to `hash.txt` beside the
    // binary; use them whenever that file is there, so a deployment needs no extra variable.
    if !leptos_options.hash_files {
        leptos_options.hash_files = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(&*leptos_options.hash_file)))
            .is_some_and(|path| path.is_file());
    }

    let app = Application::build(settings, leptos_options).await?;
    tracing::info!("listening on http://{}", app.local_addr());
    app.run_until(shutdown_signal()).await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (orchestrators).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
