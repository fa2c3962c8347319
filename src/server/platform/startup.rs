//! Builds the whole server — state, routes, middleware — through the one function that both
//! `main` and the integration tests call.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::serve::ListenerExt;
use axum::{
    Router,
    body::Body,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer,
    cors::{AllowOrigin, CorsLayer},
    services::ServeDir,
    timeout::TimeoutLayer,
};
use tower_sessions::{SessionManagerLayer, cookie::SameSite};

use super::{
    config::Settings,
    health, metrics,
    sealing::{self, Sealer},
    secrets,
    state::{AppState, Shared},
    telemetry,
};
use crate::{
    app::{App, shell},
    server::{
        api,
        db::Db,
        http::{
            BODY_LIMIT, device_cookie,
            proxies::Network,
            security::{self, CookiePolicy},
            server_fns,
        },
        identity::{
            device::{self, Devices},
            google::verifier::GoogleVerifier,
            passkey::RelyingParty,
            password::{forms, hashing::Hasher},
            second_factor,
            throttle::Throttle,
        },
        mail::{Mailer, dev_mailbox, sender},
        sessions::store::{Backend, HashedStore, session_hash_key},
    },
};

/// Requests taking longer than this are answered with 408 rather than holding a connection.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Long-lived caching for files whose names carry a content hash.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// Other static files may change between deploys: revalidate.
const REVALIDATE: HeaderValue = HeaderValue::from_static("public, max-age=0, must-revalidate");

/// A bound, ready-to-serve application.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

/// The key that seals second-factor secrets, from `secrets_key`. Without one the server still
/// starts, unless some account already turned two-factor sign-in on: its secret could not be
/// read, so nobody could check its codes.
async fn sealer(settings: &Settings, db: &Db) -> anyhow::Result<Option<Arc<Sealer>>> {
    match &settings.secrets_key {
        Some(key) => {
            let key = sealing::parse_key(key.expose()).map_err(|why| anyhow::anyhow!(why))?;
            Ok(Some(Arc::new(Sealer::new(&key))))
        }
        None => {
            if second_factor::totp::any(db).await? {
                anyhow::bail!(
                    "`secrets_key` (env SECRETS_KEY) is not set, but accounts have two-factor \
                     sign-in on: their secrets are sealed with that key. Set it to the key they \
                     were sealed with"
                );
            }
            Ok(None)
        }
    }
}

impl Application {
    /// Connects the database and session store, binds `settings.site_addr` (port 0 picks a free
    /// port) and assembles the router.
    pub async fn build(settings: Settings, leptos_options: LeptosOptions) -> anyhow::Result<Self> {
        let db = Db::connect(&settings).await?;
        let backend = Backend::from_settings(&settings, &db).await?;
        backend.spawn_cleanup(db.clone());
        let throttle = match backend.redis() {
            Some(pool) => Throttle::redis(pool.clone(), &settings.redis_key_prefix),
            None => Throttle::sql(db.clone()),
        };
        throttle.spawn_cleanup();
        let sessions = HashedStore::new(backend, &session_hash_key(&db).await?);
        let hasher = Arc::new(Hasher::start(settings.password_hash_queue));
        tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.warm_up().await }
        });
        let mailer = Mailer::new(&settings);
        sender::spawn(&settings, db.clone(), mailer.waker())?;
        let devices = Devices::new(
            &secrets::key(&db, "device_cookie_key").await?,
            settings.session_cookie_secure,
        );
        let google = match &settings.google_client_id {
            Some(client_id) => Some(Arc::new(GoogleVerifier::new(
                client_id.clone(),
                settings.google_jwks_url.clone(),
                settings.google_hosted_domains.clone(),
                std::time::Duration::from_secs(settings.google_jwks_min_refetch_secs),
            )?)),
            None => None,
        };
        let sealer = sealer(&settings, &db).await?;
        let passkeys = RelyingParty::from_settings(&settings)?.map(Arc::new);
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .with_context(|| format!("binding {} (site_addr)", settings.site_addr))?;
        let trusted_proxies = settings
            .trusted_proxies
            .iter()
            .filter_map(|text| Network::parse(text))
            .collect();
        metrics::handle();
        let db_up = db.watch();
        let state = AppState::new(Shared {
            trusted_proxies,
            settings: Arc::new(settings),
            leptos_options,
            db,
            sessions,
            throttle,
            hasher,
            devices,
            mailer,
            google,
            sealer,
            passkeys,
            users: Default::default(),
            db_up,
        });
        tracing::info!(
            database = ?state.db.kind(),
            sessions = state.sessions.inner().name(),
            "gatehouse configured"
        );
        Ok(Self {
            listener,
            router: router(state.clone()),
            state,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // Responses are written whole: send them at once rather than as Nagle's algorithm
        // would, waiting on the previous segment's acknowledgement.
        let listener = self.listener.tap_io(|stream| {
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(error = %err, "could not set TCP_NODELAY");
            }
        });
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP")?;
        self.state.db.close().await;
        Ok(())
    }
}

/// Every route and layer of the app.
pub fn router(state: AppState) -> Router {
    let settings = &state.settings;
    let cookie = CookiePolicy {
        name: session_cookie_name(settings.session_cookie_secure),
        secure: settings.session_cookie_secure,
    };
    let session_layer = SessionManagerLayer::new(state.sessions.clone())
        .with_name(cookie.name)
        .with_secure(settings.session_cookie_secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/");

    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route("/api/docs", get(api::openapi::docs_page))
        .merge(if settings.dev_mailbox {
            dev_mailbox::routes()
        } else {
            Router::new()
        })
        .merge(api::router(cors(settings)))
        // The no-JavaScript forms read no more than the API does (X6).
        .route(
            "/auth/login",
            post(forms::log_in_form).layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route(
            "/auth/signup",
            post(forms::sign_up_form).layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route(
            "/auth/second-factor",
            post(forms::second_factor_form).layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || {
                    provide_context(state.clone());
                    leptos::nonce::provide_nonce();
                }
            },
            move || shell(leptos_options.clone()),
        )
        // Applies to the merged API routes too.
        .route_layer(middleware::from_fn(metrics::note_route))
        .fallback_service(static_files(&state))
        // One layer, outermost first: axum clones a boxed service per layer for every
        // request, so a single stack costs one clone where separate layers cost one each.
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(metrics::track))
                .layer(telemetry::set_request_id())
                .layer(telemetry::trace())
                .layer(telemetry::propagate_request_id())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    REQUEST_TIMEOUT,
                ))
                .layer(middleware::from_fn_with_state(
                    cookie.secure,
                    security::security_headers,
                ))
                .layer(CompressionLayer::new())
                .layer(middleware::from_fn_with_state(
                    Arc::<[String]>::from(settings.cors_allowed_origins.clone()),
                    security::refuse_cross_site,
                ))
                .layer(middleware::from_fn(server_fns::protect))
                .layer(middleware::from_fn_with_state(
                    cookie.clone(),
                    security::complete_cookie_removals,
                ))
                .layer(session_layer)
                .layer(middleware::from_fn_with_state(
                    device::cookie_name(settings.session_cookie_secure),
                    device_cookie::carry,
                )),
        )
        .with_state(state)
}

/// CORS for the API: credentials and preflight answers for exactly the allowed origins; no CORS
/// headers for anyone else (their pages cannot read the answers). None when no origin is allowed.
fn cors(settings: &Settings) -> Option<CorsLayer> {
    if settings.cors_allowed_origins.is_empty() {
        return None;
    }
    // A shared list behind a predicate: the layer is cloned for every request, and a plain
    // list would be copied each time.
    let origins: Arc<[HeaderValue]> = settings
        .cors_allowed_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    let layer = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origins.contains(origin)
        }))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT])
        .max_age(Duration::from_secs(600));
    Some(layer)
}

/// The session cookie's name.
///
/// # Security
/// With `Secure`, the `__Host-` prefix makes browsers refuse the cookie unless it is Secure,
/// has `Path=/` and no `Domain`, so a sibling subdomain cannot plant or overwrite it (S2).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-gatehouse"
    } else {
        "gatehouse"
    }
}

/// The site bundle (`target/site`): precompressed files when present, long-lived caching for
/// hashed assets, and the app's own 404 page for anything else.
fn static_files(state: &AppState) -> Router {
    let options = &state.leptos_options;
    let not_found = Router::new()
        .fallback(render_not_found)
        .with_state(state.clone());
    let files = ServeDir::new(&*options.site_root)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(not_found);
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(
            options.hash_files,
            cache_headers,
        ))
}

async fn cache_headers(State(hashed): State<bool>, request: Request, next: Next) -> Response {
    let immutable = hashed && request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    if response.status().is_success() && !response.headers().contains_key(header::CACHE_CONTROL) {
        let value = if immutable { IMMUTABLE } else { REVALIDATE };
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// Renders the app for a path no route or file matched; the app's fallback page sets 404.
async fn render_not_found(State(state): State<AppState>, request: Request<Body>) -> Response {
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_app_to_stream_with_context(
        move || {
            provide_context(state.clone());
            leptos::nonce::provide_nonce();
        },
        move || shell(options.clone()),
    );
    let mut response = handler(request).await.into_response();
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    response
}
