//! Typed runtime settings: `Leptos.toml` first, then environment variables of the same name in
//! upper case. Loaded once at start-up and validated; any problem stops start-up with a message
//! that names the setting.

use std::{fmt, net::SocketAddr, path::Path, time::Duration};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Deserializer, Serialize};

/// The settings file read at start-up, relative to the working directory, unless
/// `GATEHOUSE_CONFIG` names another one. A missing file means "all defaults".
pub const DEFAULT_CONFIG_FILE: &str = "Leptos.toml";

/// Every key the settings file may set, with the environment variable that overrides it: the key
/// in upper case, except `site_addr`, which keeps the name cargo-leptos and Leptos use. No other
/// variable is read, so unrelated ones never clash.
const KEYS: &[(&str, &str)] = &[
    ("site_addr", "LEPTOS_SITE_ADDR"),
    ("database_url", "DATABASE_URL"),
    ("redis_url", "REDIS_URL"),
    ("google_client_id", "GOOGLE_CLIENT_ID"),
    ("google_jwks_url", "GOOGLE_JWKS_URL"),
    ("admin_emails", "ADMIN_EMAILS"),
    ("session_idle_timeout_secs", "SESSION_IDLE_TIMEOUT_SECS"),
    (
        "session_absolute_lifetime_secs",
        "SESSION_ABSOLUTE_LIFETIME_SECS",
    ),
    ("session_cookie_secure", "SESSION_COOKIE_SECURE"),
    ("allow_insecure_cookies", "ALLOW_INSECURE_COOKIES"),
    ("max_sessions_per_user", "MAX_SESSIONS_PER_USER"),
    ("trusted_proxies", "TRUSTED_PROXIES"),
    ("cors_allowed_origins", "CORS_ALLOWED_ORIGINS"),
    ("metrics_bearer_token", "METRICS_BEARER_TOKEN"),
    ("log_format", "LOG_FORMAT"),
    ("redis_key_prefix", "REDIS_KEY_PREFIX"),
    ("redis_tls_ca_file", "REDIS_TLS_CA_FILE"),
    ("auth_check_cache_secs", "AUTH_CHECK_CACHE_SECS"),
    ("google_hosted_domains", "GOOGLE_HOSTED_DOMAINS"),
    (
        "google_jwks_min_refetch_secs",
        "GOOGLE_JWKS_MIN_REFETCH_SECS",
    ),
    ("reauth_window_secs", "REAUTH_WINDOW_SECS"),
    ("max_signups_per_ip_per_hour", "MAX_SIGNUPS_PER_IP_PER_HOUR"),
    (
        "max_anonymous_sessions_per_ip",
        "MAX_ANONYMOUS_SESSIONS_PER_IP",
    ),
    ("password_hash_queue", "PASSWORD_HASH_QUEUE"),
    ("smtp_url", "SMTP_URL"),
    ("mail_from", "MAIL_FROM"),
    ("public_url", "PUBLIC_URL"),
    ("dev_mailbox", "DEV_MAILBOX"),
    ("email_verification_ttl_secs", "EMAIL_VERIFICATION_TTL_SECS"),
    ("password_reset_ttl_secs", "PASSWORD_RESET_TTL_SECS"),
    ("mail_retention_secs", "MAIL_RETENTION_SECS"),
    ("require_verified_email", "REQUIRE_VERIFIED_EMAIL"),
    ("secrets_key", "SECRETS_KEY"),
    ("webauthn_rp_id", "WEBAUTHN_RP_ID"),
    ("webauthn_rp_name", "WEBAUTHN_RP_NAME"),
];

/// The environment variable that overrides `key`.
fn env_name(key: &str) -> String {
    KEYS.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, env)| (*env).to_owned())
        .unwrap_or_else(|| key.to_ascii_uppercase())
}

/// The application's settings, as documented in `Leptos.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP server listens on (`LEPTOS_SITE_ADDR`).
    pub site_addr: SocketAddr,
    /// `sqlite://PATH` or `postgres://…` (`DATABASE_URL`).
    pub database_url: Secret,
    /// Redis for sessions and throttling; `None` selects the embedded store (`REDIS_URL`):
    /// `redis://` or `rediss://` for one server, `redis-cluster://h:p,h:p,…` (or
    /// `rediss-cluster://`) for Redis Cluster, `redis-sentinel://h:p,h:p,…/service` (or
    /// `rediss-sentinel://`) for Sentinel.
    pub redis_url: Option<Secret>,
    /// With a `rediss` URL: a PEM file of the certificate authorities that may sign the Redis
    /// server's certificate (a private CA). Unset: the system's trusted roots
    /// (`REDIS_TLS_CA_FILE`).
    pub redis_tls_ca_file: Option<String>,
    /// Google OAuth client id; `None` turns Google sign-in off (`GOOGLE_CLIENT_ID`).
    pub google_client_id: Option<String>,
    /// URL of Google's JWKS (`GOOGLE_JWKS_URL`).
    pub google_jwks_url: String,
    /// When not empty, only Google Workspace accounts of these domains may sign in
    /// (`GOOGLE_HOSTED_DOMAINS`, comma-separated).
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub google_hosted_domains: Vec<String>,
    /// Google's keys are refetched at most this often for an unknown key id, and cached at least
    /// this long whatever their `max-age` says.
    pub google_jwks_min_refetch_secs: u64,
    /// Lower-cased emails of administrators (`ADMIN_EMAILS`, comma-separated).
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub admin_emails: Vec<String>,
    /// Seconds without a request before a session ends.
    pub session_idle_timeout_secs: u64,
    /// Seconds after sign-in before a session ends, however active.
    pub session_absolute_lifetime_secs: u64,
    /// Whether the session cookie is `Secure` (and `__Host-` prefixed).
    pub session_cookie_secure: bool,
    /// Lets a release build listen beyond loopback with `session_cookie_secure = false` (a
    /// TLS-terminating proxy that speaks plain http to the app on a private network, say).
    pub allow_insecure_cookies: bool,
    /// How many sessions one user may have at once; signing in beyond it ends the oldest.
    /// 0: no limit.
    pub max_sessions_per_user: u32,
    /// Addresses (`10.0.0.7`) or networks (`10.0.0.0/8`) of the load balancers in front of the
    /// app. A request from one of them is attributed to the address it names in
    /// `X-Forwarded-For`; from anywhere else, that header is ignored (`TRUSTED_PROXIES`,
    /// comma-separated).
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub trusted_proxies: Vec<String>,
    /// Other origins (`http://localhost:5173`) whose pages may call the API with the user's
    /// cookie: they get CORS headers with credentials, and their state-changing requests pass
    /// the cross-site check. Empty: same-origin only (`CORS_ALLOWED_ORIGINS`, comma-separated).
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub cors_allowed_origins: Vec<String>,
    /// When set, `GET /metrics` answers only requests with `Authorization: Bearer <token>`.
    pub metrics_bearer_token: Option<Secret>,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Prefix of the Redis keys Gatehouse writes besides sessions (throttling counters), so
    /// that several apps can share one Redis.
    pub redis_key_prefix: String,
    /// How long the browser trusts a successful `/api/users/me` check before asking again.
    pub auth_check_cache_secs: u32,
    /// Sensitive actions (setting the password, ending every other session, …) need a sign-in
    /// or re-authentication at most this many seconds ago (`REAUTH_WINDOW_SECS`).
    pub reauth_window_secs: u64,
    /// Sign-ups allowed from one address (one /64 for IPv6) per hour.
    pub max_signups_per_ip_per_hour: u64,
    /// Sessions that visitors who are not signed in may have stored from one address (one /64
    /// for IPv6) per ten minutes, for a passkey sign-in's challenge or a Google nonce
    /// (`MAX_ANONYMOUS_SESSIONS_PER_IP`; default 100): nobody can fill the session store.
    pub max_anonymous_sessions_per_ip: u64,
    /// Password hashes that may wait for a hashing thread; beyond that, sign-in and sign-up
    /// answer 503 at once.
    pub password_hash_queue: usize,
    /// Where mail goes: `smtp://host:port` (plain, for local catchers),
    /// `smtp+starttls://user:pass@host:587` or `smtps://user:pass@host:465`. Unset: mail stays
    /// in the outbox (`SMTP_URL`).
    pub smtp_url: Option<Secret>,
    /// The `From` of every mail, `Name <address>` or a bare address (`MAIL_FROM`).
    pub mail_from: String,
    /// The base of every link in a mail, e.g. `https://app.example.com`. Unset: `http://` and
    /// `site_addr` (`PUBLIC_URL`).
    pub public_url: Option<String>,
    /// Serve the outbox at `/dev/mailbox` (development only) (`DEV_MAILBOX`).
    pub dev_mailbox: bool,
    /// How long an email verification link works (`EMAIL_VERIFICATION_TTL_SECS`).
    pub email_verification_ttl_secs: u64,
    /// How long a password reset link works (`PASSWORD_RESET_TTL_SECS`).
    pub password_reset_ttl_secs: u64,
    /// How long a sent mail stays in the outbox (its bodies erased at sending) before it is
    /// deleted (`MAIL_RETENTION_SECS`; default 7 days).
    pub mail_retention_secs: u64,
    /// When true, an account whose address is unverified can sign in and out and verify, and
    /// nothing else (`REQUIRE_VERIFIED_EMAIL`).
    pub require_verified_email: bool,
    /// 64 hex digits (32 random bytes, e.g. `openssl rand -hex 32`): the key that encrypts
    /// two-factor secrets at rest. Kept out of the database on purpose; without it nobody can
    /// turn two-factor sign-in on, and once anyone has, the server will not start without it
    /// (`SECRETS_KEY`).
    pub secrets_key: Option<Secret>,
    /// The passkeys' relying party id: a domain, the host of `public_url` or a parent of it
    /// (`example.com` for `https://app.example.com`). Passkeys are bound to it for good. Unset:
    /// the host of `public_url`, or `localhost` when that is a loopback address (browsers
    /// refuse IP addresses, so open the app at `http://localhost:PORT`) (`WEBAUTHN_RP_ID`).
    pub webauthn_rp_id: Option<String>,
    /// The name a passkey prompt shows for the site (`WEBAUTHN_RP_NAME`).
    pub webauthn_rp_name: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            site_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: Secret::new("sqlite://data/gatehouse.db"),
            redis_url: None,
            redis_tls_ca_file: None,
            google_client_id: None,
            google_jwks_url: "https://www.googleapis.com/oauth2/v3/certs".into(),
            google_hosted_domains: Vec::new(),
            google_jwks_min_refetch_secs: 60,
            admin_emails: Vec::new(),
            session_idle_timeout_secs: 30 * 60,
            session_absolute_lifetime_secs: 12 * 60 * 60,
            // Secure unless the settings file says this is plain-http development.
            session_cookie_secure: true,
            allow_insecure_cookies: false,
            max_sessions_per_user: 10,
            trusted_proxies: Vec::new(),
            cors_allowed_origins: Vec::new(),
            metrics_bearer_token: None,
            log_format: LogFormat::Text,
            redis_key_prefix: "gatehouse:".into(),
            auth_check_cache_secs: 20,
            reauth_window_secs: 10 * 60,
            max_signups_per_ip_per_hour: 20,
            max_anonymous_sessions_per_ip: 100,
            password_hash_queue: 32,
            smtp_url: None,
            mail_from: "Gatehouse <no-reply@localhost>".into(),
            public_url: None,
            dev_mailbox: false,
            email_verification_ttl_secs: 24 * 60 * 60,
            password_reset_ttl_secs: 30 * 60,
            mail_retention_secs: 7 * 24 * 60 * 60,
            require_verified_email: false,
            secrets_key: None,
            webauthn_rp_id: None,
            webauthn_rp_name: "Gatehouse".into(),
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The SQL backend chosen by the scheme of `database_url`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// A settings problem, phrased for the person starting the server.
#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(String);

impl Settings {
    /// Loads the settings file named by `GATEHOUSE_CONFIG` (default `Leptos.toml`), then the
    /// environment, and validates the result.
    pub fn load() -> Result<Self, SettingsError> {
        let path = std::env::var("GATEHOUSE_CONFIG").unwrap_or_else(|_| DEFAULT_CONFIG_FILE.into());
        Self::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::file(Path::new(&path)))
                .merge(Env::raw().filter_map(|env| {
                    KEYS.iter()
                        .find(|(_, name)| env.as_str().eq_ignore_ascii_case(name))
                        .map(|(key, _)| (*key).into())
                })),
        )
    }

    /// Settings from defaults and `overrides` only: no file, no environment. For tests and tools
    /// that must not pick up the developer's shell.
    pub fn from_pairs<'a>(
        overrides: impl IntoIterator<Item = (&'a str, toml_value::Value)>,
    ) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        for (key, value) in overrides {
            figment = figment.merge(Serialized::default(key, value));
        }
        Self::from_figment(figment)
    }

    fn from_figment(figment: Figment) -> Result<Self, SettingsError> {
        let settings: Settings = figment.extract().map_err(|err| {
            // figment names the key (`for key "default.session_idle_timeout_secs"`); turn the
            // internal profile path into the names people type.
            let message = err
                .into_iter()
                .map(|e| {
                    let key = e.path.last().cloned().unwrap_or_default();
                    let env = env_name(&key);
                    if key.is_empty() {
                        e.to_string()
                    } else {
                        format!("`{key}` (env {env}): {}", e.kind)
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            SettingsError(message)
        })?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let bad = |key: &str, why: &str| {
            Err(SettingsError(format!(
                "`{key}` (env {}): {why}",
                env_name(key)
            )))
        };
        if self.database_kind().is_none() {
            return bad("database_url", "must start with sqlite:// or postgres://");
        }
        if self.refuses_insecure_cookies(RELEASE_BUILD) {
            return bad(
                "session_cookie_secure",
                "is false while the server listens beyond loopback: session cookies would travel \
                 in the clear. Turn it on, or set `allow_insecure_cookies` \
                 (env ALLOW_INSECURE_COOKIES) to true if TLS ends in front of the app",
            );
        }
        if let Some(path) = &self.redis_tls_ca_file
            && !Path::new(path).is_file()
        {
            return bad("redis_tls_ca_file", &format!("{path:?} is not a file"));
        }
        if let Some(url) = &self.redis_url {
            let url = match crate::server::platform::redis_url::parse(url.expose()) {
                Ok(url) => url,
                Err(why) => return bad("redis_url", &why),
            };
            // A cluster reads the first `{…}` of a key as its hash tag: the prefix must not
            // hold one, or every key would land in one slot.
            if url.topology == crate::server::platform::redis_url::Topology::Cluster
                && self.redis_key_prefix.contains(['{', '}'])
            {
                return bad(
                    "redis_key_prefix",
                    "must not contain { or } on a Redis Cluster (they would make every key one hash slot)",
                );
            }
        }
        if self.session_idle_timeout_secs < 60 {
            return bad("session_idle_timeout_secs", "must be at least 60 seconds");
        }
        if self.session_absolute_lifetime_secs < self.session_idle_timeout_secs {
            return bad(
                "session_absolute_lifetime_secs",
                "must be at least session_idle_timeout_secs",
            );
        }
        if self.reauth_window_secs == 0 {
            return bad("reauth_window_secs", "must be at least 1 second");
        }
        if self.max_anonymous_sessions_per_ip == 0 {
            return bad("max_anonymous_sessions_per_ip", "must be at least 1");
        }
        if self.max_signups_per_ip_per_hour == 0 {
            return bad("max_signups_per_ip_per_hour", "must be at least 1");
        }
        if self.password_hash_queue == 0 {
            return bad("password_hash_queue", "must be at least 1");
        }
        if let Some(url) = &self.smtp_url
            && smtp_scheme(url.expose()).is_none()
        {
            return bad(
                "smtp_url",
                "must start with smtp://, smtp+starttls:// or smtps:// and name a host",
            );
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return bad(
                "mail_from",
                "must be an address, or a name and an address like `Gatehouse <no-reply@example.com>`",
            );
        }
        if let Some(key) = &self.secrets_key
            && let Err(why) = crate::server::platform::sealing::parse_key(key.expose())
        {
            return bad("secrets_key", &why);
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return bad("public_url", "must be an http:// or https:// URL");
        }
        if let Err(why) = self.passkey_origin() {
            return bad("webauthn_rp_id", &why);
        }
        if self.webauthn_rp_name.trim().is_empty() {
            return bad("webauthn_rp_name", "must not be empty");
        }
        if RELEASE_BUILD && self.dev_mailbox && !self.site_addr.ip().is_loopback() {
            return bad(
                "dev_mailbox",
                "is on while the server listens beyond loopback: /dev/mailbox would show \
                 everyone's reset links. Turn it off",
            );
        }
        if self.email_verification_ttl_secs < 60 || self.password_reset_ttl_secs < 60 {
            return bad(
                "password_reset_ttl_secs",
                "and email_verification_ttl_secs must each be at least 60 seconds",
            );
        }
        if !jwks_url_is_safe(&self.google_jwks_url) {
            return bad(
                "google_jwks_url",
                "must be an https URL (plain http only on loopback, for tests)",
            );
        }
        if let Some(id) = &self.google_client_id
            && id.trim().is_empty()
        {
            return bad("google_client_id", "must not be empty when set");
        }
        if let Some(bad_proxy) = self
            .trusted_proxies
            .iter()
            .find(|p| crate::server::http::proxies::Network::parse(p).is_none())
        {
            return bad(
                "trusted_proxies",
                &format!("{bad_proxy:?} is not an IP address or CIDR network"),
            );
        }
        if let Some(origin) = self.cors_allowed_origins.iter().find(|o| !is_origin(o)) {
            return bad(
                "cors_allowed_origins",
                &format!("{origin:?} is not an origin like https://app.example.com:8443"),
            );
        }
        if let Some(email) = self.admin_emails.iter().find(|e| !e.contains('@')) {
            return bad(
                "admin_emails",
                &format!("{email:?} is not an email address"),
            );
        }
        Ok(())
    }

    /// The SQL backend named by `database_url`.
    pub fn database_kind(&self) -> Option<DatabaseKind> {
        let url = self.database_url.expose();
        if url.starts_with("sqlite:") {
            Some(DatabaseKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(DatabaseKind::Postgres)
        } else {
            None
        }
    }

    pub fn session_idle_timeout(&self) -> Duration {
        Duration::from_secs(self.session_idle_timeout_secs)
    }

    pub fn session_absolute_lifetime(&self) -> Duration {
        Duration::from_secs(self.session_absolute_lifetime_secs)
    }

    /// The base of links in mail, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.site_addr),
        }
    }

    /// The passkeys' relying party id and the one origin their ceremonies may come from, or
    /// `None` when passkeys cannot work here (`public_url` is an IP address that is not
    /// loopback, and no `webauthn_rp_id` names a domain).
    ///
    /// A loopback `public_url` (the development default, `http://127.0.0.1:3000`) becomes
    /// `http://localhost:3000`: browsers refuse an IP address as a relying party id.
    pub fn passkey_origin(&self) -> Result<Option<(String, url::Url)>, String> {
        let mut origin = url::Url::parse(&self.public_url())
            .map_err(|err| format!("public_url is not a URL ({err})"))?;
        let host = origin.host_str().unwrap_or_default().to_owned();
        let loopback = host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .ok();
        if loopback == Some(true) {
            origin
                .set_host(Some("localhost"))
                .map_err(|err| format!("public_url: {err}"))?;
        }
        origin.set_path("");
        let effective = origin.host_str().unwrap_or_default().to_ascii_lowercase();
        let rp_id = match &self.webauthn_rp_id {
            Some(id) => {
                let id = id.trim().to_ascii_lowercase();
                if id.is_empty() || id.contains(['/', ':', ' ']) {
                    return Err(format!("{id:?} is not a domain like example.com"));
                }
                if !(effective == id || effective.ends_with(&format!(".{id}"))) {
                    return Err(format!(
                        "{id:?} must be the host of public_url ({effective}) or a parent domain of it"
                    ));
                }
                id
            }
            // An IP address that is not loopback: no domain to bind passkeys to.
            None if loopback == Some(false) => return Ok(None),
            None => effective,
        };
        Ok(Some((rp_id, origin)))
    }

    /// Whether `email` (any case) is listed in `admin_emails`.
    pub fn is_admin_email(&self, email: &str) -> bool {
        self.admin_emails
            .iter()
            .any(|admin| admin.eq_ignore_ascii_case(email))
    }
}

/// Re-exported so callers of [`Settings::from_pairs`] need not depend on figment.
pub mod toml_value {
    pub use figment::value::Value;
}

/// Accepts `["a@x", "b@y"]` from the settings file and `"a@x, b@y"` from the environment;
/// stores trimmed, lower-cased entries.
fn list_or_comma_separated<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    let items = match Raw::deserialize(de)? {
        Raw::List(items) => items,
        Raw::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    Ok(items
        .into_iter()
        .map(|item| item.trim().to_ascii_lowercase())
        .filter(|item| !item.is_empty())
        .collect())
}

/// `scheme://host[:port]` with an http(s) scheme and nothing after the authority.
fn is_origin(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty() && !rest.contains(['/', '?', '#', '@', ' ', '*'])
}

/// A setting that may hold credentials (database and Redis URLs carry passwords): printed as
/// `[redacted]` so it never reaches logs or error messages.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for handing to the client library that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Whether this is a release build: the one that production runs.
#[cfg(not(debug_assertions))]
const RELEASE_BUILD: bool = true;

/// Development and test builds may listen anywhere with plain-http cookies.
#[cfg(debug_assertions)]
const RELEASE_BUILD: bool = false;

impl Settings {
    /// Whether a server built as `release` would send its session cookie without `Secure` to
    /// clients beyond this machine, unasked.
    fn refuses_insecure_cookies(&self, release: bool) -> bool {
        release
            && !self.session_cookie_secure
            && !self.allow_insecure_cookies
            && !self.site_addr.ip().is_loopback()
    }
}

/// How mail is sent to the server `smtp_url` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// No TLS: only for catchers on this machine or a private network.
    Plain,
    /// STARTTLS on a plain connection (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// The security an `smtp_url` asks for, when it is one of the accepted forms and names a host.
pub fn smtp_scheme(url: &str) -> Option<SmtpSecurity> {
    let (security, rest) = if let Some(rest) = url.strip_prefix("smtp+starttls://") {
        (SmtpSecurity::StartTls, rest)
    } else if let Some(rest) = url.strip_prefix("smtps://") {
        (SmtpSecurity::Tls, rest)
    } else {
        (SmtpSecurity::Plain, url.strip_prefix("smtp://")?)
    };
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    (!host.is_empty() && !host.starts_with(':')).then_some(security)
}

/// Google's keys decide who may sign in: they are fetched over TLS, or from this machine.
fn jwks_url_is_safe(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(authority) = url
        .starts_with("http://")
        .then(|| crate::server::http::security::authority(url))
        .flatten()
    else {
        return false;
    };
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    };
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::Jail;

    // figment's Jail fixes the closure's error type; its size is not ours to choose.
    #[allow(clippy::result_large_err)]
    fn load_in_jail(toml: &str, env: &[(&str, &str)]) -> Result<Settings, String> {
        let mut outcome = Err(String::new());
        Jail::expect_with(|jail| {
            jail.create_file("Leptos.toml", toml)?;
            for (key, value) in env {
                jail.set_env(key, value);
            }
            outcome = Settings::load().map_err(|e| e.to_string());
            Ok(())
        });
        outcome
    }

    #[test]
    fn defaults_apply_when_the_file_is_empty() {
        let settings = load_in_jail("", &[]).unwrap();
        assert_eq!(settings.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(settings.database_kind(), Some(DatabaseKind::Sqlite));
        assert!(settings.redis_url.is_none());
        assert!(
            settings.session_cookie_secure,
            "cookies are Secure unless turned off"
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let settings = load_in_jail(
            "site_addr = \"127.0.0.1:4000\"\nsession_idle_timeout_secs = 600",
            &[
                ("LEPTOS_SITE_ADDR", "0.0.0.0:8080"),
                ("DATABASE_URL", "postgres://u:p@localhost/db"),
                ("REDIS_URL", "redis://127.0.0.1:6379"),
                ("ADMIN_EMAILS", " Boss@Example.com ,ops@example.com,"),
            ],
        )
        .unwrap();
        assert_eq!(settings.site_addr.to_string(), "0.0.0.0:8080");
        assert_eq!(settings.database_kind(), Some(DatabaseKind::Postgres));
        assert_eq!(settings.session_idle_timeout_secs, 600);
        assert_eq!(
            settings.admin_emails,
            ["boss@example.com", "ops@example.com"]
        );
        assert!(settings.is_admin_email("BOSS@example.com"));
    }

    #[test]
    fn an_unknown_key_names_the_key() {
        let err = load_in_jail("sesion_idle_timeout_secs = 5", &[]).unwrap_err();
        assert!(err.contains("sesion_idle_timeout_secs"), "{err}");
    }

    #[test]
    fn an_invalid_value_names_the_setting() {
        let err = load_in_jail("", &[("SESSION_IDLE_TIMEOUT_SECS", "soon")]).unwrap_err();
        assert!(err.contains("SESSION_IDLE_TIMEOUT_SECS"), "{err}");
        let err = load_in_jail("", &[("LEPTOS_SITE_ADDR", "nowhere")]).unwrap_err();
        assert!(err.contains("LEPTOS_SITE_ADDR"), "{err}");
        let err = load_in_jail("", &[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(err.contains("DATABASE_URL"), "{err}");
        let err = load_in_jail("", &[("REDIS_URL", "127.0.0.1:6379")]).unwrap_err();
        assert!(err.contains("REDIS_URL"), "{err}");
    }

    #[test]
    fn secrets_never_print() {
        let settings = load_in_jail("", &[("DATABASE_URL", "postgres://u:hunter2@h/db")]).unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn passkeys_are_bound_to_a_domain_of_public_url() {
        let with = |public_url: Option<&str>, rp_id: Option<&str>| Settings {
            public_url: public_url.map(str::to_owned),
            webauthn_rp_id: rp_id.map(str::to_owned),
            ..Settings::default()
        };
        let origin = |settings: Settings| {
            settings
                .passkey_origin()
                .map(|found| found.map(|(id, url)| (id, url.origin().ascii_serialization())))
        };
        // The default: the host of public_url, and its exact origin.
        assert_eq!(
            origin(with(Some("https://app.example.com/"), None)),
            Ok(Some((
                "app.example.com".into(),
                "https://app.example.com".into()
            )))
        );
        // A loopback address (the development default) means localhost, port kept.
        assert_eq!(
            origin(with(None, None)),
            Ok(Some(("localhost".into(), "http://localhost:3000".into())))
        );
        assert_eq!(
            origin(with(Some("http://[::1]:8080"), None)),
            Ok(Some(("localhost".into(), "http://localhost:8080".into())))
        );
        // A parent domain may be named; another domain may not.
        assert_eq!(
            origin(with(Some("https://app.example.com"), Some("Example.com"))),
            Ok(Some((
                "example.com".into(),
                "https://app.example.com".into()
            )))
        );
        assert!(origin(with(Some("https://app.example.com"), Some("ample.com"))).is_err());
        assert!(
            origin(with(
                Some("https://app.example.com"),
                Some("https://example.com")
            ))
            .is_err()
        );
        // An address that is not loopback has no domain: passkeys are off.
        assert_eq!(origin(with(Some("http://10.0.0.7:3000"), None)), Ok(None));
        // …and validation names the setting.
        let err = load_in_jail(
            "public_url = \"https://app.example.com\"\nwebauthn_rp_id = \"other.com\"",
            &[],
        )
        .unwrap_err();
        assert!(err.contains("webauthn_rp_id"), "{err}");
    }

    #[test]
    fn google_keys_come_over_tls_or_from_this_machine() {
        for url in [
            "https://www.googleapis.com/oauth2/v3/certs",
            "http://127.0.0.1:9000/jwks.json",
            "http://localhost/jwks.json",
            "http://[::1]:80/jwks.json",
        ] {
            assert!(super::jwks_url_is_safe(url), "{url}");
        }
        for url in [
            "http://www.googleapis.com/oauth2/v3/certs",
            "http://127.0.0.1.evil.example/jwks.json",
            "http://localhost.evil.example:80/jwks.json",
            "ftp://127.0.0.1/jwks.json",
            "www.googleapis.com",
        ] {
            assert!(!super::jwks_url_is_safe(url), "{url}");
        }
        let err = load_in_jail("", &[("GOOGLE_JWKS_URL", "http://keys.example/jwks")]).unwrap_err();
        assert!(err.contains("GOOGLE_JWKS_URL"), "{err}");
    }

    #[test]
    fn mail_settings_are_checked_and_named() {
        for url in [
            "smtp://127.0.0.1:1025",
            "smtp+starttls://user:pass@mail.example.com:587",
            "smtps://user:pass@mail.example.com:465",
        ] {
            assert!(load_in_jail("", &[("SMTP_URL", url)]).is_ok(), "{url}");
        }
        for url in [
            "mail.example.com:25",
            "smtp://",
            "http://mail.example.com",
            "smtps://u:p@",
        ] {
            let err = load_in_jail("", &[("SMTP_URL", url)]).unwrap_err();
            assert!(err.contains("SMTP_URL"), "{url}: {err}");
        }
        let err = load_in_jail("", &[("MAIL_FROM", "not an address")]).unwrap_err();
        assert!(err.contains("MAIL_FROM"), "{err}");
        let err = load_in_jail("", &[("PUBLIC_URL", "app.example.com")]).unwrap_err();
        assert!(err.contains("PUBLIC_URL"), "{err}");
        let settings = load_in_jail("", &[("PUBLIC_URL", "https://app.example.com/")]).unwrap();
        assert_eq!(settings.public_url(), "https://app.example.com");
        let settings = load_in_jail("site_addr = \"127.0.0.1:4000\"", &[]).unwrap();
        assert_eq!(settings.public_url(), "http://127.0.0.1:4000");
    }

    #[test]
    fn a_release_server_beyond_loopback_needs_secure_cookies_or_says_so() {
        let plain = |addr: &str, allow: bool| Settings {
            site_addr: addr.parse().unwrap(),
            session_cookie_secure: false,
            allow_insecure_cookies: allow,
            ..Settings::default()
        };
        assert!(plain("0.0.0.0:3000", false).refuses_insecure_cookies(true));
        assert!(plain("10.0.0.7:3000", false).refuses_insecure_cookies(true));
        assert!(!plain("0.0.0.0:3000", true).refuses_insecure_cookies(true));
        assert!(!plain("127.0.0.1:3000", false).refuses_insecure_cookies(true));
        assert!(!plain("[::1]:3000", false).refuses_insecure_cookies(true));
        assert!(
            !plain("0.0.0.0:3000", false).refuses_insecure_cookies(false),
            "debug builds"
        );
        let secure = Settings {
            site_addr: "0.0.0.0:3000".parse().unwrap(),
            ..Settings::default()
        };
        assert!(!secure.refuses_insecure_cookies(true));
    }
}
