//! Device cookies: a browser that has signed in to an account before proves it with a signed
//! cookie, and keeps signing in while that account is throttled for everyone else (OWASP
//! "Slow Down Online Guessing Attacks with Device Cookies"; SECURITY P9).
//!
//! # Security
//! - The cookie is `HttpOnly`, `SameSite=Lax`, `Secure` with the `__Host-` prefix when the
//!   session cookie is, and lives [`LIFETIME`]. It holds the account's id, its expiry and a
//!   random id, signed with HMAC-SHA256 under a key kept in the database: it cannot be forged
//!   or moved to another account, and it grants nothing by itself. It also carries a digest of
//!   the account's security stamp, so a credential event that ends device cookies (a password
//!   reset, a claim, signing out every other session; `docs/security.md`) voids every one
//!   issued before it; the browser that made the change gets a new one. It only changes which
//!   throttle counters a password attempt is charged to ([`throttle`](super::throttle)): the
//!   device's own small limit instead of the account's and the pair's.
//! - Every successful sign-in issues a fresh one. Signing out leaves it, so the owner's
//!   browser stays recognised; `Clear-Site-Data` at sign-out never names `"cookies"`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::server::{db::clock::now, http::device_cookie::DeviceCookie};

/// How long a device cookie is honoured after the sign-in that issued it.
pub const LIFETIME: time::Duration = time::Duration::days(180);

/// Issues and checks device cookies.
#[derive(Clone)]
pub struct Devices {
    mac: Hmac<Sha256>,
    name: &'static str,
    secure: bool,
}

impl std::fmt::Debug for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devices")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Devices {
    /// Device cookies signed with `key`; `secure` as the session cookie is.
    pub fn new(key: &[u8], secure: bool) -> Self {
        Self {
            mac: Hmac::new_from_slice(key).expect("HMAC accepts any key length"),
            name: cookie_name(secure),
            secure,
        }
    }

    fn signature(&self, payload: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(b"gatehouse-device-v1:");
        mac.update(payload.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The id of the device cookie the browser presented, when it is valid for `user_id` under
    /// its current security `stamp`.
    pub fn trusted(&self, device: &DeviceCookie, user_id: i64, stamp: &str) -> Option<String> {
        let value = device.presented()?;
        let (payload, signature) = value.rsplit_once('.')?;
        let expected = self.signature(payload);
        // Compared in constant time, like every MAC.
        if !constant_time_eq(signature.as_bytes(), expected.as_bytes()) {
            return None;
        }
        let mut parts = payload.split('.');
        let (Some(owner), Some(expires), Some(id), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let fresh = expires.parse::<i64>().is_ok_and(|at| at > now());
        let current = tag == stamp_tag(stamp);
        (owner.parse::<i64>() == Ok(user_id) && fresh && current).then(|| id.to_owned())
    }

    /// Gives the browser a new device cookie for `user_id` under its security `stamp`, sent
    /// with the response.
    pub fn remember(&self, device: &DeviceCookie, user_id: i64, stamp: &str) {
        let expires = now() + LIFETIME.whole_seconds();
        let id = hex::encode(rand::random::<[u8; 16]>());
        let tag = stamp_tag(stamp);
        let payload = format!("{user_id}.{expires}.{id}.{tag}");
        let value = format!("{payload}.{}", self.signature(&payload));
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!(
            "{}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
            self.name,
            LIFETIME.whole_seconds()
        );
        device.replace_with(cookie);
    }
}

/// A short digest of a security stamp: enough to tell stamps apart, and it shows nothing of it.
fn stamp_tag(stamp: &str) -> String {
    use sha2::Digest;
    hex::encode(&Sha256::digest(stamp.as_bytes())[..8])
}

/// The device cookie's name: `__Host-` prefixed when it is `Secure`, as the session cookie.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-gatehouse-device"
    } else {
        "gatehouse-device"
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_with(cookie: Option<&str>) -> DeviceCookie {
        DeviceCookie::presenting(cookie)
    }

    /// The value of the cookie `remember` issued to `client`.
    fn issued(client: &DeviceCookie) -> String {
        let header = client.replacement().unwrap();
        let value = header.split(';').next().unwrap();
        value.split_once('=').unwrap().1.to_owned()
    }

    #[test]
    fn a_remembered_browser_is_trusted_for_its_account_only() {
        let devices = Devices::new(b"key", false);
        let first = client_with(None);
        devices.remember(&first, 7, "stamp");
        let cookie = issued(&first);

        let back = client_with(Some(&cookie));
        let id = devices
            .trusted(&back, 7, "stamp")
            .expect("trusted for account 7");
        assert_eq!(id.len(), 32);
        assert!(
            devices.trusted(&back, 8, "stamp").is_none(),
            "bound to the account"
        );
        assert!(devices.trusted(&client_with(None), 7, "stamp").is_none());
        assert!(
            devices.trusted(&back, 7, "a newer stamp").is_none(),
            "void once the account's security stamp moves"
        );
    }

    #[test]
    fn a_forged_or_foreign_cookie_is_not_trusted() {
        let devices = Devices::new(b"key", true);
        let first = client_with(None);
        devices.remember(&first, 7, "");
        let cookie = issued(&first);
        let (payload, signature) = cookie.rsplit_once('.').unwrap();

        let moved = payload.replacen('7', "8", 1);
        assert!(
            devices
                .trusted(&client_with(Some(&format!("{moved}.{signature}"))), 8, "")
                .is_none()
        );
        let other_key = Devices::new(b"another key", true);
        assert!(
            other_key
                .trusted(&client_with(Some(&cookie)), 7, "")
                .is_none()
        );
        assert!(
            devices
                .trusted(&client_with(Some("7.9999999999.x.t.y")), 7, "")
                .is_none()
        );
        let expired = format!("7.{}.abc.{}", now() - 1, stamp_tag(""));
        let signed = format!("{expired}.{}", devices.signature(&expired));
        assert!(
            devices
                .trusted(&client_with(Some(&signed)), 7, "")
                .is_none(),
            "expired"
        );
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_with_the_host_prefix() {
        let devices = Devices::new(b"key", true);
        let client = client_with(None);
        devices.remember(&client, 1, "");
        let header = client.replacement().unwrap();
        assert!(header.starts_with("__Host-gatehouse-device="), "{header}");
        for attribute in [
            "Path=/",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Max-Age=15552000",
        ] {
            assert!(header.contains(attribute), "{attribute} in {header}");
        }
    }
}
