//! A software passkey for the tests: a P-256 key that answers WebAuthn options with real
//! attestation and assertion data (CBOR, client data, ECDSA signatures), the way a browser and
//! its authenticator would, and that can be told to misbehave (another origin, another RP ID,
//! no user verification, a counter that goes back) so each refusal is tested against a real
//! signature.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A passkey held by one authenticator.
#[derive(Clone)]
pub struct SoftPasskey {
    /// The origin its client data names.
    pub origin: String,
    /// The RP ID whose hash its authenticator data carries.
    pub rp_id: String,
    pub key: SigningKey,
    pub credential_id: Vec<u8>,
    /// The user handle it stored at creation.
    pub user_handle: Vec<u8>,
    /// The signature counter it reports next (then adds one when `counting`).
    pub counter: u32,
    /// A synced passkey does not count: it reports 0 every time.
    pub counting: bool,
    /// Whether it reports user verification.
    pub user_verified: bool,
}

impl SoftPasskey {
    pub fn new(rp_id: &str, origin: &str) -> Self {
        let secret: [u8; 32] = rand::random();
        Self {
            origin: origin.to_owned(),
            rp_id: rp_id.to_owned(),
            key: SigningKey::from_slice(&secret).expect("a P-256 key"),
            credential_id: rand::random::<[u8; 32]>().to_vec(),
            user_handle: Vec::new(),
            counter: 0,
            counting: false,
            user_verified: true,
        }
    }

    /// Another key under the same credential id (a forgery).
    pub fn with_other_key(&self) -> Self {
        let mut other = Self::new(&self.rp_id, &self.origin);
        other.credential_id = self.credential_id.clone();
        other.user_handle = self.user_handle.clone();
        other
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["publicKey"]["challenge"]
            .as_str()
            .expect("options carry a challenge");
        serde_json::to_vec(&json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        }))
        .unwrap()
    }

    fn flags(&self, attested: bool) -> u8 {
        let mut flags = 0x01; // user present
        if self.user_verified {
            flags |= 0x04;
        }
        if attested {
            flags |= 0x40;
        }
        flags
    }

    fn auth_data(&mut self, attested: bool) -> Vec<u8> {
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        data.push(self.flags(attested));
        data.extend_from_slice(&self.counter.to_be_bytes());
        if self.counting {
            self.counter += 1;
        }
        if attested {
            data.extend_from_slice(&[0; 16]); // AAGUID
            data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
            data.extend_from_slice(&self.credential_id);
            data.extend_from_slice(&self.cose_key());
        }
        data
    }

    /// The public key as a COSE_Key: EC2, ES256, P-256.
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let mut out = head(5, 5);
        out.extend(int(1));
        out.extend(int(2));
        out.extend(int(3));
        out.extend(int(-7));
        out.extend(int(-1));
        out.extend(int(1));
        out.extend(int(-2));
        out.extend(bytes(point.x().unwrap()));
        out.extend(int(-3));
        out.extend(bytes(point.y().unwrap()));
        out
    }

    /// Answers creation options (`{"publicKey": …}`) as `PublicKeyCredential.toJSON()` would.
    pub fn create(&mut self, options: &Value) -> Value {
        let user = options["publicKey"]["user"]["id"]
            .as_str()
            .expect("options name the user");
        self.user_handle = B64.decode(user).expect("base64url user id");
        let client_data = self.client_data("webauthn.create", options);
        let auth_data = self.auth_data(true);
        let mut attestation = head(5, 3);
        attestation.extend(text("fmt"));
        attestation.extend(text("none"));
        attestation.extend(text("attStmt"));
        attestation.extend(head(5, 0));
        attestation.extend(text("authData"));
        attestation.extend(bytes(&auth_data));
        let id = B64.encode(&self.credential_id);
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(&client_data),
                "attestationObject": B64.encode(&attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })
    }

    /// Answers request options as `PublicKeyCredential.toJSON()` would.
    pub fn get(&mut self, options: &Value) -> Value {
        let client_data = self.client_data("webauthn.get", options);
        let auth_data = self.auth_data(false);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        let id = B64.encode(&self.credential_id);
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(&client_data),
                "authenticatorData": B64.encode(&auth_data),
                "signature": B64.encode(signature.to_der().as_bytes()),
                "userHandle": B64.encode(&self.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })
    }
}

/// A CBOR item head: major type and length (or value).
fn head(major: u8, len: u64) -> Vec<u8> {
    let major = major << 5;
    match len {
        0..=23 => vec![major | len as u8],
        24..=0xff => vec![major | 24, len as u8],
        0x100..=0xffff => {
            let mut out = vec![major | 25];
            out.extend_from_slice(&(len as u16).to_be_bytes());
            out
        }
        _ => {
            let mut out = vec![major | 26];
            out.extend_from_slice(&(len as u32).to_be_bytes());
            out
        }
    }
}

fn int(value: i64) -> Vec<u8> {
    if value >= 0 {
        head(0, value as u64)
    } else {
        head(1, (-1 - value) as u64)
    }
}

fn bytes(value: &[u8]) -> Vec<u8> {
    let mut out = head(2, value.len() as u64);
    out.extend_from_slice(value);
    out
}

fn text(value: &str) -> Vec<u8> {
    let mut out = head(3, value.len() as u64);
    out.extend_from_slice(value.as_bytes());
    out
}
