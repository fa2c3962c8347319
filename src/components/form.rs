//! Accessible form pieces: labelled fields whose errors are tied to the input and announced.

use leptos::prelude::*;

/// A labelled input. `error` is shown under it, linked by `aria-describedby` and announced.
#[component]
pub fn Field(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(into, default = "text".to_string())] kind: String,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(into, optional)] value: Option<Signal<String>>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id, has_hint) = (error_id.clone(), hint_id.clone(), hint.is_some());
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                value=move || value.map(|v| v.get()).unwrap_or_default()
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=described
            />
            {hint.map(|hint| view! { <small id=hint_id class="muted">{hint}</small> })}
            <span id=error_id class="field-error" role="alert">
                {move || error.get()}
            </span>
        </div>
    }
}

/// A form-level message, announced when it appears.
#[component]
pub fn FormError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.with(Option::is_some)>
            <p class="alert" role="alert">{move || message.get()}</p>
        </Show>
    }
}

/// The value of the form field `name` in the form being submitted.
#[cfg(feature = "hydrate")]
pub fn submitted_value(event: &leptos::ev::SubmitEvent, name: &str) -> String {
    use wasm_bindgen::JsCast;
    event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::HtmlFormElement>().ok())
        .and_then(|form| web_sys::FormData::new_with_form(&form).ok())
        .and_then(|data| data.get(name).as_string())
        .unwrap_or_default()
}

/// Forms are submitted only in the browser.
#[cfg(not(feature = "hydrate"))]
pub fn submitted_value(_: &leptos::ev::SubmitEvent, _: &str) -> String {
    String::new()
}
