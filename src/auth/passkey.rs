//! WebAuthn in the browser: the server's options in, `navigator.credentials` asked, the
//! credential out as `PublicKeyCredential.toJSON()` gives it (WebAuthn Level 3's JSON forms,
//! so no binary conversions here).
//!
//! A sign-in through the email field's autofill (conditional mediation) waits in the
//! background while the page is open; [`sign_in`] and [`create`] abort it before they ask, as
//! a browser allows one request at a time, and [`stop_autofill`] ends it when the page goes.

/// Why no credential came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasskeyError {
    /// Aborted by the page (a modal request replaced the autofill one): nothing to say.
    Aborted,
    /// The user closed the prompt, or it timed out.
    Dismissed,
    /// Anything else, in words for the page.
    Failed(String),
}

impl PasskeyError {
    /// What the page shows, if anything.
    pub fn message(&self) -> Option<String> {
        match self {
            PasskeyError::Aborted => None,
            PasskeyError::Dismissed => {
                Some("The passkey prompt was closed before it finished.".into())
            }
            PasskeyError::Failed(message) => Some(message.clone()),
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;

    use js_sys::{Function, JSON, Object, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::AbortController;

    use super::PasskeyError;
    use crate::domain::PasskeyOptions;

    thread_local! {
        /// The pending autofill request's controller.
        static AUTOFILL: RefCell<Option<AbortController>> = const { RefCell::new(None) };
    }

    fn global(name: &str) -> Option<JsValue> {
        let window = web_sys::window()?;
        Reflect::get(&window, &JsValue::from_str(name))
            .ok()
            .filter(|value| !value.is_undefined() && !value.is_null())
    }

    fn method(object: &JsValue, name: &str) -> Option<Function> {
        Reflect::get(object, &JsValue::from_str(name))
            .ok()?
            .dyn_into::<Function>()
            .ok()
    }

    /// Whether this browser speaks WebAuthn's JSON forms (every current one does).
    pub fn supported() -> bool {
        global("PublicKeyCredential")
            .is_some_and(|pkc| method(&pkc, "parseRequestOptionsFromJSON").is_some())
    }

    /// Whether passkeys of `rp_id` work on this page: the browser speaks WebAuthn and the
    /// page's host is that domain or below it. Otherwise, why not.
    pub fn usable_for(rp_id: &str) -> Result<(), String> {
        if !supported() {
            return Err("This browser cannot use passkeys.".into());
        }
        let host = web_sys::window()
            .and_then(|window| window.location().hostname().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if host == rp_id || host.ends_with(&format!(".{rp_id}")) {
            Ok(())
        } else {
            Err(format!(
                "Passkeys work on {rp_id}: open the site there to use them."
            ))
        }
    }

    pub async fn autofill_available() -> bool {
        let Some(pkc) = global("PublicKeyCredential") else {
            return false;
        };
        let Some(available) = method(&pkc, "isConditionalMediationAvailable") else {
            return false;
        };
        let Ok(promise) = available.call0(&pkc).and_then(|p| p.dyn_into::<Promise>()) else {
            return false;
        };
        JsFuture::from(promise)
            .await
            .ok()
            .and_then(|answer| answer.as_bool())
            .unwrap_or(false)
    }

    pub fn stop_autofill() {
        if let Some(controller) = AUTOFILL.with(|slot| slot.borrow_mut().take()) {
            controller.abort();
        }
    }

    fn failed(what: &str) -> PasskeyError {
        PasskeyError::Failed(format!("Passkeys do not work in this browser ({what})."))
    }

    /// The options as the browser's own objects.
    fn parse(parser: &str, options: &PasskeyOptions) -> Result<JsValue, PasskeyError> {
        let pkc = global("PublicKeyCredential").ok_or_else(|| failed("no WebAuthn"))?;
        let parse = method(&pkc, parser).ok_or_else(|| failed(parser))?;
        let json = JSON::parse(&options.public_key.to_string()).map_err(|_| failed("options"))?;
        parse.call1(&pkc, &json).map_err(|_| failed("options"))
    }

    fn error_of(error: JsValue) -> PasskeyError {
        let name = Reflect::get(&error, &JsValue::from_str("name"))
            .ok()
            .and_then(|name| name.as_string())
            .unwrap_or_default();
        match name.as_str() {
            "AbortError" => PasskeyError::Aborted,
            "NotAllowedError" => PasskeyError::Dismissed,
            "InvalidStateError" => {
                PasskeyError::Failed("This device already holds a passkey for your account.".into())
            }
            "SecurityError" => PasskeyError::Failed(
                "Passkeys do not work on this address (open the site by its domain name).".into(),
            ),
            _ => PasskeyError::Failed("The passkey request failed.".into()),
        }
    }

    /// Calls `navigator.credentials[verb](request)` and returns the credential's JSON.
    async fn ask(verb: &str, request: &Object) -> Result<serde_json::Value, PasskeyError> {
        let window = web_sys::window().ok_or_else(|| failed("no window"))?;
        let credentials = Reflect::get(&window.navigator(), &JsValue::from_str("credentials"))
            .map_err(|_| failed("no credentials"))?;
        let call = method(&credentials, verb).ok_or_else(|| failed(verb))?;
        let promise: Promise = call
            .call1(&credentials, request)
            .map_err(error_of)?
            .dyn_into()
            .map_err(|_| failed(verb))?;
        let credential = JsFuture::from(promise).await.map_err(error_of)?;
        if credential.is_null() || credential.is_undefined() {
            return Err(PasskeyError::Dismissed);
        }
        let to_json = method(&credential, "toJSON").ok_or_else(|| failed("toJSON"))?;
        let json = to_json.call0(&credential).map_err(|_| failed("toJSON"))?;
        let text: String = JSON::stringify(&json).map_err(|_| failed("toJSON"))?.into();
        serde_json::from_str(&text).map_err(|_| failed("toJSON"))
    }

    fn request(public_key: &JsValue) -> Object {
        let request = Object::new();
        let _ = Reflect::set(&request, &JsValue::from_str("publicKey"), public_key);
        request
    }

    pub async fn sign_in(
        options: &PasskeyOptions,
        autofill: bool,
    ) -> Result<serde_json::Value, PasskeyError> {
        // One request at a time: a pending autofill request gives way.
        stop_autofill();
        let public_key = parse("parseRequestOptionsFromJSON", options)?;
        let request = request(&public_key);
        if autofill {
            let controller = AbortController::new().map_err(|_| failed("AbortController"))?;
            let _ = Reflect::set(
                &request,
                &JsValue::from_str("mediation"),
                &JsValue::from_str("conditional"),
            );
            let _ = Reflect::set(&request, &JsValue::from_str("signal"), &controller.signal());
            AUTOFILL.with(|slot| *slot.borrow_mut() = Some(controller));
        }
        ask("get", &request).await
    }

    pub async fn create(options: &PasskeyOptions) -> Result<serde_json::Value, PasskeyError> {
        stop_autofill();
        let public_key = parse("parseCreationOptionsFromJSON", options)?;
        ask("create", &request(&public_key)).await
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{autofill_available, create, sign_in, stop_autofill, supported, usable_for};

/// The server never asks an authenticator; these keep the pages' code one shape.
#[cfg(not(feature = "hydrate"))]
pub fn supported() -> bool {
    false
}

#[cfg(not(feature = "hydrate"))]
pub fn usable_for(_: &str) -> Result<(), String> {
    Err("Passkeys work in the browser.".into())
}

#[cfg(not(feature = "hydrate"))]
pub async fn autofill_available() -> bool {
    false
}

#[cfg(not(feature = "hydrate"))]
pub fn stop_autofill() {}

#[cfg(not(feature = "hydrate"))]
pub async fn sign_in(
    _: &crate::domain::PasskeyOptions,
    _: bool,
) -> Result<serde_json::Value, PasskeyError> {
    Err(PasskeyError::Aborted)
}

#[cfg(not(feature = "hydrate"))]
pub async fn create(_: &crate::domain::PasskeyOptions) -> Result<serde_json::Value, PasskeyError> {
    Err(PasskeyError::Aborted)
}
