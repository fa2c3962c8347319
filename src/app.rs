//! The HTML shell, the router and the route table.

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, LazyRoute, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use crate::{
    auth::{AuthStore, initial::load_initial_state},
    components::nav::NavBar,
    pages::{
        admin::AdminPage, confirm_email::ConfirmEmailPage, customers::CustomersPage,
        forgot_password::ForgotPasswordPage, home::HomePage, login::LoginPage,
        not_found::NotFoundPage, profile::ProfilePage, reset_password::ResetPasswordPage,
        second_factor::SecondFactorPage, security::SecurityPage, sessions::SessionsPage,
        signup::SignupPage, todos::TodosPage, verify_email::VerifyEmailPage, welcome::WelcomePage,
    },
};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    set_content_security_policy(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options=options.clone()/>
                <HashedStylesheet options id="leptos"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: navigation and the routed page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, so this flips once the WASM has hydrated the page:
    // end-to-end tests wait on it instead of sleeping.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // The server resolves this from the session before sending any HTML; the browser gets the
    // value inside the page, so hydration needs no request.
    let initial = Resource::new_blocking(|| (), |_| load_initial_state());
    provide_context(AuthStore::new(initial));

    view! {
        <Title formatter=|title: String| {
            if title.is_empty() { "Gatehouse".to_owned() } else { format!("{title} · Gatehouse") }
        }/>
        <Router>
            <NavBar/>
            <main id="main" class="page" data-hydrated=move || hydrated.get().to_string()>
                <Routes fallback=NotFoundPage>
                    <Route path=StaticSegment("") view=HomePage/>
                    <Route path=StaticSegment("login") view=LoginPage/>
                    <Route path=(StaticSegment("login"), StaticSegment("second-factor")) view=SecondFactorPage/>
                    <Route path=StaticSegment("signup") view=SignupPage/>
                    <Route path=StaticSegment("forgot-password") view=ForgotPasswordPage/>
                    <Route path=StaticSegment("reset-password") view=ResetPasswordPage/>
                    <Route path=StaticSegment("verify-email") view=VerifyEmailPage/>
                    <Route path=StaticSegment("confirm-email") view=ConfirmEmailPage/>
                    <Route path=StaticSegment("welcome") ssr=SsrMode::Async view=WelcomePage/>
                    <Route path=StaticSegment("todos") ssr=SsrMode::Async view={Lazy::<TodosRoute>::new()}/>
                    <Route path=StaticSegment("profile") ssr=SsrMode::Async view={Lazy::<ProfileRoute>::new()}/>
                    <Route path=StaticSegment("customers") ssr=SsrMode::Async view={Lazy::<CustomersRoute>::new()}/>
                    <Route path=StaticSegment("sessions") ssr=SsrMode::Async view={Lazy::<SessionsRoute>::new()}/>
                    <Route path=StaticSegment("security") ssr=SsrMode::Async view={Lazy::<SecurityRoute>::new()}/>
                    <Route path=StaticSegment("admin") ssr=SsrMode::Async view={Lazy::<AdminRoute>::new()}/>
                </Routes>
            </main>
        </Router>
    }
}

/// A private page loaded on demand: with `cargo leptos build --split` its code is a WASM chunk
/// of its own, fetched when the page is first shown, so the first load of the public pages
/// (`/login` above all) does not carry it. A browser build that is not split (`cargo leptos
/// watch`, `serve`, `build`) compiles it as an ordinary route instead (`build.rs` sets
/// `gatehouse_split`): an unsplit bundle cannot load lazy routes. The server renders either
/// the same way, so one server binary serves both bundles.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        struct $route;

        #[cfg(any(not(feature = "hydrate"), gatehouse_split))]
        #[leptos_router::lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(this: Self) -> AnyView {
                let $route = this;
                view! { <$page/> }.into_any()
            }
        }

        #[cfg(all(feature = "hydrate", not(gatehouse_split)))]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(this: Self) -> AnyView {
                let $route = this;
                view! { <$page/> }.into_any()
            }
        }
    };
}

lazy_page!(TodosRoute, TodosPage);
lazy_page!(ProfileRoute, ProfilePage);
lazy_page!(CustomersRoute, CustomersPage);
lazy_page!(SessionsRoute, SessionsPage);
lazy_page!(SecurityRoute, SecurityPage);
lazy_page!(AdminRoute, AdminPage);

/// Sends the page's Content-Security-Policy, built around this response's nonce.
#[cfg(feature = "ssr")]
fn set_content_security_policy(options: &LeptosOptions) {
    use crate::server::{http::security::page_csp, platform::state::AppState};
    let (Some(nonce), Some(response), Some(state)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
        use_context::<AppState>(),
    ) else {
        return;
    };
    let dev_reload = (options.env == leptos::config::Env::DEV).then_some(options.reload_port);
    let google = state.settings.google_client_id.is_some();
    if let Ok(value) =
        http::HeaderValue::from_str(&page_csp(&nonce.to_string(), google, dev_reload))
    {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
    // Pages may show user data: keep them out of shared caches and the back-forward cache (S10).
    response.insert_header(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
}

/// The browser never renders the shell.
#[cfg(not(feature = "ssr"))]
fn set_content_security_policy(_: &LeptosOptions) {}
