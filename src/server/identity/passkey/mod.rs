//! Passkeys (WebAuthn Level 3, with webauthn-rs): enrolling one on `/security`, signing in
//! with one (a button, and the email field's autofill), naming, listing and removing them. A
//! passkey sign-in ends in the same [`sign_in::complete`](super::sign_in::complete) as every
//! method; one with user verification satisfies both factors (SECURITY M4, M5).
//!
//! The credentials live in the `passkeys` table
//! ([`second_factor::passkeys`](super::second_factor::passkeys)); a ceremony's state lives in
//! the session between its two requests ([`ceremony`]).

pub mod ceremony;
pub mod routes;
pub mod service;

use std::fmt;

use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::server::platform::config::Settings;

/// The relying party: this site, as passkeys know it. Present in the state when passkeys can
/// work with the settings (see [`Settings::passkey_origin`]).
pub struct RelyingParty {
    pub webauthn: Webauthn,
    pub id: String,
}

impl fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelyingParty")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl RelyingParty {
    /// The relying party the settings describe; `None` (with a warning) when passkeys cannot
    /// work on this address.
    ///
    /// # Security (SECURITY M4)
    /// Every ceremony must come from exactly `public_url`'s origin (the scheme, host and port)
    /// and name this RP ID; webauthn-rs checks both, and user verification, on every response.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Self>> {
        let Some((id, origin)) = settings
            .passkey_origin()
            .map_err(|why| anyhow::anyhow!("`webauthn_rp_id` (env WEBAUTHN_RP_ID): {why}"))?
        else {
            tracing::warn!(
                public_url = %settings.public_url(),
                "passkeys are off: public_url is an IP address; set public_url to a domain, \
                 or webauthn_rp_id"
            );
            return Ok(None);
        };
        let webauthn = WebauthnBuilder::new(&id, &origin)
            .map_err(|err| anyhow::anyhow!("passkeys: {err}"))?
            .rp_name(&settings.webauthn_rp_name)
            .timeout(ceremony::LIFETIME)
            .build()
            .map_err(|err| anyhow::anyhow!("passkeys: {err}"))?;
        tracing::info!(rp_id = %id, origin = %origin, "passkeys on");
        Ok(Some(Self { webauthn, id }))
    }
}
