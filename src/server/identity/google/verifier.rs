//! Google Sign-In: verifies the ID token (a JWT) that Google's Identity Services hand the
//! browser, against Google's published keys (SECURITY G1–G6). The token only proves who the
//! user is at Google; the session that follows is Gatehouse's own.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, errors::ErrorKind};
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

/// How long one key fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// Keys are kept this long when the response names no `max-age`, and at least / at most the
/// bounds below whatever it says.
const DEFAULT_KEY_LIFETIME: Duration = Duration::from_secs(60 * 60);
const MAX_KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// Clock skew tolerated on `exp` and `iat`.
const LEEWAY_SECS: u64 = 60;

const ISSUERS: [&str; 2] = ["accounts.google.com", "https://accounts.google.com"];

/// The claims Gatehouse uses from a verified ID token.
#[derive(Clone, Debug, Deserialize)]
pub struct GoogleIdentity {
    /// Google's stable account id: the identity key (G5).
    pub sub: String,
    pub email: String,
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default)]
    pub name: Option<String>,
    /// The Workspace domain, for hosted-domain allow-lists (G6).
    #[serde(default)]
    pub hd: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    pub iat: u64,
}

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum GoogleError {
    /// The token is not a valid Google ID token for this app (401).
    #[error("invalid Google token: {0}")]
    Invalid(&'static str),
    /// Google's keys could not be fetched and none are cached (503).
    #[error("Google's signing keys are unavailable: {0}")]
    Unavailable(String),
}

struct KeySet {
    keys: HashMap<String, DecodingKey>,
    fresh_until: Instant,
    fetched_at: Instant,
}

/// Verifies Google ID tokens for one client id, caching Google's keys.
pub struct GoogleVerifier {
    client_id: String,
    jwks_url: String,
    hosted_domains: Vec<String>,
    /// An unknown `kid` refetches the keys at most this often (G1): a stream of forged tokens
    /// must not turn into a stream of requests to Google. Also the shortest time keys are kept.
    min_refetch: Duration,
    http: reqwest::Client,
    keys: RwLock<Option<KeySet>>,
    /// Held while fetching, so concurrent misses make one request (single flight).
    fetching: Mutex<()>,
}

impl std::fmt::Debug for GoogleVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleVerifier")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: String,
    kty: String,
    #[serde(default)]
    alg: Option<String>,
    n: String,
    e: String,
}

impl GoogleVerifier {
    pub fn new(
        client_id: String,
        jwks_url: String,
        hosted_domains: Vec<String>,
        min_refetch: Duration,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build()?;
        Ok(Self {
            client_id,
            jwks_url,
            hosted_domains,
            min_refetch,
            http,
            keys: RwLock::new(None),
            fetching: Mutex::new(()),
        })
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Checks signature, algorithm, audience, issuer, expiry, issue time and hosted domain.
    /// The nonce is the caller's to compare with the one it issued.
    ///
    /// # Security
    /// Only RS256 is accepted and only with keys from `jwks_url`: `alg=none`, HS256 made with
    /// the public key, and keys embedded in the token (`jwk`, `jku`, `x5u`, `x5c`) are refused
    /// before any key is looked up (G2).
    pub async fn verify(&self, token: &str) -> Result<GoogleIdentity, GoogleError> {
        let header = decode_header(token).map_err(|_| GoogleError::Invalid("malformed token"))?;
        if header.alg != Algorithm::RS256 {
            return Err(GoogleError::Invalid("algorithm is not RS256"));
        }
        if header.jwk.is_some()
            || header.jku.is_some()
            || header.x5u.is_some()
            || header.x5c.is_some()
        {
            return Err(GoogleError::Invalid("token carries its own key"));
        }
        let kid = header
            .kid
            .ok_or(GoogleError::Invalid("token names no key"))?;
        let key = self
            .key(&kid)
            .await?
            .ok_or(GoogleError::Invalid("unknown signing key"))?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&self.client_id]);
        validation.set_issuer(&ISSUERS);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        let identity = decode::<GoogleIdentity>(token, &key, &validation)
            .map_err(|err| {
                GoogleError::Invalid(match err.kind() {
                    ErrorKind::ExpiredSignature => "token expired",
                    ErrorKind::InvalidAudience => "token is for another client",
                    ErrorKind::InvalidIssuer => "token is not from Google",
                    ErrorKind::InvalidSignature => "bad signature",
                    ErrorKind::MissingRequiredClaim(_) => "token lacks a required claim",
                    _ => "token rejected",
                })
            })?
            .claims;
        if identity.iat > jsonwebtoken::get_current_timestamp() + LEEWAY_SECS {
            return Err(GoogleError::Invalid("token issued in the future"));
        }
        if !self.hosted_domains.is_empty()
            && !identity.hd.as_ref().is_some_and(|hd| {
                self.hosted_domains
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(hd))
            })
        {
            return Err(GoogleError::Invalid(
                "account is outside the allowed domains",
            ));
        }
        Ok(identity)
    }

    /// The key `kid`, from the cache while it is fresh; otherwise, or for an unknown `kid`
    /// (at most once per `min_refetch`), from a new fetch that concurrent callers share.
    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, GoogleError> {
        let seen = {
            let guard = self.keys.read().await;
            if let Some(set) = guard.as_ref() {
                let now = Instant::now();
                let fresh = now < set.fresh_until;
                match set.keys.get(kid) {
                    Some(key) if fresh => return Ok(Some(key.clone())),
                    None if fresh && now.duration_since(set.fetched_at) < self.min_refetch => {
                        return Ok(None);
                    }
                    _ => {}
                }
            }
            guard.as_ref().map(|set| set.fetched_at)
        };
        let _single_flight = self.fetching.lock().await;
        {
            // Someone else fetched while we waited: use their answer.
            let guard = self.keys.read().await;
            if let Some(set) = guard.as_ref()
                && Some(set.fetched_at) != seen
            {
                return Ok(set.keys.get(kid).cloned());
            }
        }
        match self.fetch().await {
            Ok(set) => {
                let found = set.keys.get(kid).cloned();
                *self.keys.write().await = Some(set);
                Ok(found)
            }
            Err(err) => {
                // Stale keys beat no keys while Google is unreachable.
                let stale = self
                    .keys
                    .read()
                    .await
                    .as_ref()
                    .and_then(|set| set.keys.get(kid).cloned());
                match stale {
                    Some(key) => Ok(Some(key)),
                    None => Err(err),
                }
            }
        }
    }

    async fn fetch(&self) -> Result<KeySet, GoogleError> {
        let unavailable = |err: reqwest::Error| GoogleError::Unavailable(err.to_string());
        let response = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .map_err(unavailable)?;
        if !response.status().is_success() {
            return Err(GoogleError::Unavailable(format!(
                "key endpoint answered {}",
                response.status()
            )));
        }
        let lifetime = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|value| value.to_str().ok())
            .and_then(max_age)
            .unwrap_or(DEFAULT_KEY_LIFETIME)
            .clamp(self.min_refetch, MAX_KEY_LIFETIME.max(self.min_refetch));
        let jwks: Jwks = response.json().await.map_err(unavailable)?;
        let keys = jwks
            .keys
            .into_iter()
            .filter(|key| key.kty == "RSA" && key.alg.as_deref().is_none_or(|alg| alg == "RS256"))
            .filter_map(|key| {
                Some((
                    key.kid,
                    DecodingKey::from_rsa_components(&key.n, &key.e).ok()?,
                ))
            })
            .collect::<HashMap<_, _>>();
        tracing::info!(
            keys = keys.len(),
            lifetime_secs = lifetime.as_secs(),
            "fetched Google's signing keys"
        );
        let now = Instant::now();
        Ok(KeySet {
            keys,
            fresh_until: now + lifetime,
            fetched_at: now,
        })
    }
}

/// `max-age` of a `Cache-Control` value.
fn max_age(cache_control: &str) -> Option<Duration> {
    cache_control
        .split(',')
        .filter_map(|part| part.trim().strip_prefix("max-age="))
        .find_map(|secs| secs.trim().parse().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_max_age() {
        assert_eq!(
            max_age("public, max-age=19800, must-revalidate"),
            Some(Duration::from_secs(19800))
        );
        assert_eq!(max_age("no-cache"), None);
    }
}
