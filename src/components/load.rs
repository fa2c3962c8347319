//! What a page shows when its data could not be loaded.

use leptos::prelude::*;

use crate::error::AppError;

/// "Could not load `what`: why", with a Retry that loads it again.
#[component]
pub fn LoadFailed(
    /// What was being loaded, as the sentence names it: "your todos".
    what: &'static str,
    error: AppError,
    #[prop(into)] retry: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="alert" role="alert">
            <p>"Could not load " {what} ": " {error.message().to_owned()}</p>
            <button type="button" on:click=move |_| retry.run(())>"Retry"</button>
        </div>
    }
}
