//! Google's Identity Services in the browser: loads Google's script, shows its button and the
//! One Tap prompt, and hands each returned ID token to a callback.

/// Google's script; the Content-Security-Policy allows exactly this origin path.
pub const GSI_SCRIPT: &str = "https://accounts.google.com/gsi/client";

/// Loads Google's script (once), initialises it with `client_id` and the server's `nonce`,
/// renders its button into the element with id `button_id`, and shows One Tap.
#[cfg(feature = "hydrate")]
pub async fn start(
    client_id: &str,
    nonce: &str,
    button_id: &str,
    on_credential: impl Fn(String) + 'static,
) -> Result<(), String> {
    use js_sys::{Function, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue, closure::Closure};

    let unavailable = |_| "Google sign-in could not be loaded.".to_owned();
    load_script(GSI_SCRIPT).await?;
    let window = web_sys::window().ok_or("no window")?;
    let id = ["google", "accounts", "id"]
        .iter()
        .try_fold(JsValue::from(window.clone()), |object, key| {
            Reflect::get(&object, &JsValue::from_str(key))
        })
        .map_err(unavailable)?;
    if id.is_undefined() {
        return Err("Google sign-in could not be loaded.".into());
    }
    let method = |name: &str| -> Result<Function, String> {
        Reflect::get(&id, &JsValue::from_str(name))
            .map_err(unavailable)?
            .dyn_into::<Function>()
            .map_err(unavailable)
    };

    let callback = Closure::<dyn Fn(JsValue)>::new(move |response: JsValue| {
        if let Some(credential) = Reflect::get(&response, &JsValue::from_str("credential"))
            .ok()
            .and_then(|c| c.as_string())
        {
            on_credential(credential);
        }
    });
    let config = Object::new();
    let set = |object: &Object, key: &str, value: &JsValue| {
        Reflect::set(object, &JsValue::from_str(key), value).map(|_| ())
    };
    set(&config, "client_id", &JsValue::from_str(client_id)).map_err(unavailable)?;
    set(&config, "nonce", &JsValue::from_str(nonce)).map_err(unavailable)?;
    set(&config, "callback", callback.as_ref()).map_err(unavailable)?;
    set(&config, "use_fedcm_for_prompt", &JsValue::TRUE).map_err(unavailable)?;
    // Google keeps calling it for as long as the page lives.
    callback.forget();
    method("initialize")?
        .call1(&id, &config)
        .map_err(unavailable)?;

    if let Some(element) = window
        .document()
        .and_then(|d| d.get_element_by_id(button_id))
    {
        let options = Object::new();
        set(&options, "theme", &JsValue::from_str("outline")).map_err(unavailable)?;
        set(&options, "size", &JsValue::from_str("large")).map_err(unavailable)?;
        set(&options, "text", &JsValue::from_str("signin_with")).map_err(unavailable)?;
        method("renderButton")?
            .call2(&id, &element, &options)
            .map_err(unavailable)?;
    }
    method("prompt")?.call0(&id).map_err(unavailable)?;
    Ok(())
}

/// Adds `<script src>` to the page unless it is there, and waits for it to load.
#[cfg(feature = "hydrate")]
async fn load_script(src: &str) -> Result<(), String> {
    use wasm_bindgen::{JsCast, JsValue};
    let failed = |_: JsValue| "Google sign-in could not be loaded.".to_owned();
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    if document
        .query_selector(&format!("script[src=\"{src}\"][data-loaded]"))
        .ok()
        .flatten()
        .is_some()
    {
        return Ok(());
    }
    let script: web_sys::HtmlScriptElement = document
        .create_element("script")
        .map_err(failed)?
        .unchecked_into();
    script.set_src(src);
    script.set_async(true);
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
    });
    document
        .head()
        .ok_or("no head")?
        .append_child(&script)
        .map_err(failed)?;
    wasm_bindgen_futures::JsFuture::from(loaded)
        .await
        .map_err(failed)?;
    let _ = script.set_attribute("data-loaded", "");
    Ok(())
}

/// Google sign-in runs only in the browser.
#[cfg(not(feature = "hydrate"))]
pub async fn start(_: &str, _: &str, _: &str, _: impl Fn(String) + 'static) -> Result<(), String> {
    Err("Google sign-in runs in the browser.".into())
}
