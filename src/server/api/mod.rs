//! The JSON API under `/api` (contract: `docs/api.md`): its route table, which names each
//! feature's handlers (thin adapters over that feature's service), and its OpenAPI document.
//!
//! The contract is written once. Methods and paths come from [`paths`], the table the browser's
//! client calls too; request bodies, parameters, answers and most error statuses come from the
//! handlers' own types (aide reads their extractors and return types, schemars the DTOs); each
//! entry below adds only its summary, its tag and the error statuses its service can answer.

pub mod openapi;

use aide::{
    OperationInput, OperationOutput,
    axum::{
        ApiRouter,
        routing::{delete_with, get_with, patch_with, post_with},
    },
    openapi::OpenApi,
    operation::OperationHandler,
    transform::TransformOperation,
};
use axum::{Router, extract::DefaultBodyLimit, handler::Handler, middleware, routing::any};
use tower::ServiceBuilder;
use tower_http::cors::CorsLayer;

use super::{
    admin::routes as admin,
    customers::routes as customers,
    http::{BODY_LIMIT, openapi::errors, security},
    identity::{
        email_routes as emails, google::routes as google, me_routes as users,
        passkey::routes as passkeys, password::routes as auth,
        second_factor::routes as second_factor,
    },
    platform::state::AppState,
    sessions::routes as sessions,
    todos::routes as todos,
};
use crate::{
    domain::paths::{self, Endpoint, Method, PREFIX},
    error::AppError,
};

/// The API's routes, registered one [`Endpoint`] at a time and listed as they are, so a test
/// can hold the document against exactly what is served.
pub struct Routes {
    router: ApiRouter<AppState>,
    operations: Vec<Endpoint>,
}

/// What an entry of the table says about its operation beyond its types.
struct About {
    summary: &'static str,
    tag: &'static str,
    /// Error statuses the service answers besides those the extractors document.
    errors: &'static [u16],
}

const fn about(summary: &'static str, tag: &'static str, errors: &'static [u16]) -> About {
    About {
        summary,
        tag,
        errors,
    }
}

impl Routes {
    fn new() -> Self {
        Self {
            router: ApiRouter::new(),
            operations: Vec::new(),
        }
    }

    fn add<H, I, O, T>(mut self, endpoint: Endpoint, handler: H, about: About) -> Self
    where
        H: Handler<T, AppState> + OperationHandler<I, O>,
        I: OperationInput,
        O: OperationOutput,
        T: 'static,
    {
        let describe = transform(move |op| {
            let op = op
                .id(&operation_id(endpoint))
                .summary(about.summary)
                .tag(about.tag);
            // The cross-site check refuses any state-changing request from another site (403),
            // and every one of them may need a service that is down (503).
            let op = if endpoint.method == Method::Get {
                op
            } else {
                errors(op, &[403, 503])
            };
            errors(op, about.errors)
        });
        let method_router = match endpoint.method {
            Method::Get => get_with(handler, describe),
            Method::Post => post_with(handler, describe),
            Method::Patch => patch_with(handler, describe),
            Method::Delete => delete_with(handler, describe),
        };
        self.router = self
            .router
            .api_route(&format!("{PREFIX}{}", endpoint.path), method_router);
        self.operations.push(endpoint);
        self
    }

    /// Every operation served under `/api`, paths as axum writes them (`/todos/{id}`).
    pub fn operations(&self) -> &[Endpoint] {
        &self.operations
    }

    /// The plain router and the document generated from it.
    fn finish(self) -> (Router<AppState>, OpenApi) {
        let mut api = OpenApi::default();
        let router = self.router.finish_api_with(&mut api, openapi::describe);
        (router, api)
    }
}

/// Gives a closure the signature aide's transforms have (for any lifetime).
fn transform<F>(f: F) -> F
where
    F: FnOnce(TransformOperation<'_>) -> TransformOperation<'_>,
{
    f
}

/// `post_auth_signup` for `POST /auth/signup`, as the document has always named them.
fn operation_id(endpoint: Endpoint) -> String {
    format!(
        "{}{}",
        endpoint.method.as_str().to_lowercase(),
        endpoint.path.replace(['/', '{', '}', '.'], "_")
    )
}

/// Every operation of the API.
pub fn routes() -> Routes {
    use paths::*;
    Routes::new()
        .add(
            SIGN_UP,
            auth::sign_up,
            about("Create an account and sign in", "auth", &[409, 429]),
        )
        .add(
            LOG_IN,
            auth::log_in,
            about("Sign in with email and password", "auth", &[401, 403, 429]),
        )
        .add(
            LOG_OUT,
            auth::log_out,
            about("Sign out: the session ends", "auth", &[]),
        )
        .add(
            GOOGLE_NONCE,
            google::issue_nonce,
            about(
                "A one-time nonce for Google's sign-in prompt",
                "auth",
                &[404, 429],
            ),
        )
        .add(
            GOOGLE_SIGN_IN,
            google::sign_in_with_google,
            about(
                "Sign in with a Google ID token",
                "auth",
                &[401, 403, 404, 409],
            ),
        )
        .add(
            REAUTH,
            users::reauthenticate,
            about(
                "Confirm who you are before a sensitive action (step-up)",
                "auth",
                &[404, 429],
            ),
        )
        .add(
            VERIFY_EMAIL,
            emails::verify_email,
            about(
                "Verify the email address with the mailed link's token",
                "auth",
                &[],
            ),
        )
        .add(
            RESEND_VERIFICATION,
            emails::resend_verification,
            about("Mail the verification link again", "auth", &[429]),
        )
        .add(
            REQUEST_PASSWORD_RESET,
            emails::request_password_reset,
            about(
                "Mail a password reset link (the same answer for any address)",
                "auth",
                &[429],
            ),
        )
        .add(
            RESET_PASSWORD,
            emails::reset_password,
            about(
                "Set a new password with a reset link's token; every session ends",
                "auth",
                &[],
            ),
        )
        .add(
            SECOND_FACTOR_SIGN_IN,
            second_factor::sign_in,
            about(
                "Complete a sign-in held for its second factor, with a code or a recovery code",
                "auth",
                &[401, 403, 429],
            ),
        )
        .add(
            REAUTH_OPTIONS,
            passkeys::reauth_options,
            about(
                "Options for confirming who you are with a passkey (step-up)",
                "auth",
                &[401, 404],
            ),
        )
        .add(
            PASSKEY_SIGN_IN_OPTIONS,
            passkeys::sign_in_options,
            about(
                "Options for signing in with a passkey (held in the session for five minutes)",
                "auth",
                &[404, 429],
            ),
        )
        .add(
            PASSKEY_SIGN_IN,
            passkeys::sign_in,
            about(
                "Sign in with a passkey: the browser's answer to the options",
                "auth",
                &[401, 403, 404],
            ),
        )
        .add(
            GET_ME,
            users::get_me,
            about("The signed-in user", "users", &[]),
        )
        .add(
            UPDATE_ME,
            users::update_me,
            about("Change the display name", "users", &[]),
        )
        .add(
            CHANGE_PASSWORD,
            users::change_password,
            about(
                "Change the password (needs a recent sign-in); other sessions end",
                "users",
                &[429],
            ),
        )
        .add(
            DELETE_ME,
            users::delete_me,
            about(
                "Delete the account and everything in it (needs a recent sign-in)",
                "users",
                &[409],
            ),
        )
        .add(
            EXPORT_ME,
            users::export_me,
            about("Everything kept about the signed-in user", "users", &[]),
        )
        .add(
            CHANGE_EMAIL,
            emails::request_email_change,
            about(
                "Move the account to another address (needs a recent sign-in); a link goes there",
                "users",
                &[429],
            ),
        )
        .add(
            SECOND_FACTOR_STATUS,
            second_factor::status,
            about("Whether two-factor sign-in is on", "users", &[]),
        )
        .add(
            BEGIN_TOTP,
            second_factor::begin_totp,
            about(
                "Start turning two-factor sign-in on: a new authenticator secret (needs a recent sign-in)",
                "users",
                &[404, 409],
            ),
        )
        .add(
            CONFIRM_TOTP,
            second_factor::confirm_totp,
            about(
                "Turn two-factor sign-in on with the app's first code; the recovery codes, once",
                "users",
                &[404, 409, 429],
            ),
        )
        .add(
            DISABLE_TOTP,
            second_factor::disable_totp,
            about(
                "Turn two-factor sign-in off (needs a recent sign-in)",
                "users",
                &[404],
            ),
        )
        .add(
            REGENERATE_RECOVERY_CODES,
            second_factor::regenerate_recovery_codes,
            about(
                "A new set of recovery codes; the old set stops working (needs a recent sign-in)",
                "users",
                &[409],
            ),
        )
        .add(
            PASSKEY_ENROL_OPTIONS,
            passkeys::enrol_options,
            about(
                "Options for adding a passkey (needs a recent sign-in)",
                "users",
                &[404, 409],
            ),
        )
        .add(
            ADD_PASSKEY,
            passkeys::enrol,
            about(
                "Add the passkey the browser made from the options (needs a recent sign-in)",
                "users",
                &[404, 409],
            ),
        )
        .add(
            LIST_PASSKEYS,
            passkeys::list,
            about("The signed-in user's passkeys", "users", &[]),
        )
        .add(
            RENAME_PASSKEY,
            passkeys::rename,
            about("Rename a passkey", "users", &[404]),
        )
        .add(
            REMOVE_PASSKEY,
            passkeys::remove,
            about(
                "Remove a passkey (needs a recent sign-in); it signs in no more",
                "users",
                &[404],
            ),
        )
        .add(
            CONFIRM_EMAIL_CHANGE,
            emails::confirm_email_change,
            about(
                "Confirm the new address with the mailed link's token",
                "users",
                &[409],
            ),
        )
        .add(
            LIST_TODOS,
            todos::list_todos,
            about("The user's todos, oldest first", "todos", &[]),
        )
        .add(
            CREATE_TODO,
            todos::create_todo,
            about("Add a todo", "todos", &[]),
        )
        .add(
            UPDATE_TODO,
            todos::update_todo,
            about("Change a todo", "todos", &[404]),
        )
        .add(
            DELETE_TODO,
            todos::delete_todo,
            about("Delete a todo", "todos", &[404]),
        )
        .add(
            LIST_CUSTOMERS,
            customers::list_customers,
            about("Every customer", "customers", &[]),
        )
        .add(
            CREATE_CUSTOMER,
            customers::create_customer,
            about("Add a customer (admins)", "customers", &[]),
        )
        .add(
            GET_CUSTOMER,
            customers::get_customer,
            about("One customer", "customers", &[404]),
        )
        .add(
            UPDATE_CUSTOMER,
            customers::update_customer,
            about("Change a customer (admins)", "customers", &[404]),
        )
        .add(
            DELETE_CUSTOMER,
            customers::delete_customer,
            about("Delete a customer (admins)", "customers", &[404]),
        )
        .add(
            LIST_SESSIONS,
            sessions::list_sessions,
            about("The caller's live sessions", "sessions", &[]),
        )
        .add(
            END_OTHER_SESSIONS,
            sessions::end_other_sessions,
            about(
                "Sign out every other session of the caller",
                "sessions",
                &[],
            ),
        )
        .add(
            END_SESSION,
            sessions::end_session,
            about("Sign out one session of the caller", "sessions", &[404]),
        )
        .add(
            ADMIN_LIST_USERS,
            admin::list_users,
            about(
                "Users, oldest first, with status and session counts (admins)",
                "admin",
                &[],
            ),
        )
        .add(
            ADMIN_UPDATE_USER,
            admin::update_user,
            about(
                "Disable or enable a user, grant or remove admin (admins)",
                "admin",
                &[404, 409],
            ),
        )
        .add(
            ADMIN_USER_SESSIONS,
            admin::user_sessions,
            about("A user's live sessions (admins)", "admin", &[404]),
        )
        .add(
            ADMIN_END_USER_SESSIONS,
            admin::end_user_sessions,
            about("End every session of a user (admins)", "admin", &[404]),
        )
        .add(
            ADMIN_AUDIT,
            admin::audit_log,
            about("The audit trail, newest first (admins)", "admin", &[]),
        )
        .add(
            ADMIN_SEND_VERIFICATION,
            admin::send_verification,
            about(
                "Mail a user a new verification link (admins)",
                "admin",
                &[404, 429],
            ),
        )
        .add(
            ADMIN_SEND_PASSWORD_RESET,
            admin::send_password_reset,
            about(
                "Mail a user a password reset link (admins)",
                "admin",
                &[404, 429],
            ),
        )
        .add(
            ADMIN_RESET_SECOND_FACTOR,
            admin::reset_second_factor,
            about(
                "Remove a user's second factor, e.g. for a lost phone (admins)",
                "admin",
                &[404],
            ),
        )
        .add(
            OPENAPI,
            openapi::document,
            about("This document", "meta", &[]),
        )
}

/// The API with its own layers: CORS outermost (when any origin is allowed: with none, it
/// would only add work and `Vary` headers), then `no-store` on every answer, then the body limit.
/// They are one layer so each request clones one boxed service for them, not three.
///
/// Its routes carry the full path (`/api/users/me`) so that the app merges them rather than
/// nesting a router, which would rewrite every request's URI on the way in.
pub fn router(cors: Option<CorsLayer>) -> Router<AppState> {
    let not_found = || async { AppError::not_found("API endpoint") };
    let (router, _) = routes().finish();
    router
        .route(PREFIX, any(not_found))
        .route(&format!("{PREFIX}/"), any(not_found))
        .route(&format!("{PREFIX}/{{*rest}}"), any(not_found))
        .layer(
            ServiceBuilder::new()
                .option_layer(cors)
                .layer(middleware::from_fn(security::no_store))
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
}

/// The OpenAPI document of [`routes`], generated once.
pub fn document() -> OpenApi {
    routes().finish().1
}
