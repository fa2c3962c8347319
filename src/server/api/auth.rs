//! `/api/auth/*`: sign up, sign in, sign out.

use axum::{Json, extract::State, http::StatusCode};
use tower_sessions::Session;

use super::{collect_fields, field};
use crate::{
    domain::{CurrentUser, DisplayName, Email, LoginRequest, Password, SignupRequest},
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        auth::{self, ClientInfo},
        http_error::{ApiJson, internal},
        passwords,
        state::AppState,
        users::{self, CreateError, NewUser},
    },
};

/// The one answer for an unknown email and a wrong password (SECURITY P2).
fn bad_credentials() -> AppError {
    AppError::Unauthenticated {
        message: "Incorrect email or password.".into(),
    }
}

pub async fn sign_up(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    ApiJson(body): ApiJson<SignupRequest>,
) -> Result<(StatusCode, Json<CurrentUser>), AppError> {
    let user = create_account(&state, &session, &client, &body).await?;
    Ok((StatusCode::CREATED, Json(user.to_current())))
}

/// Creates a password account and signs it in on `session`. Shared by the JSON API and the
/// HTML form.
pub async fn create_account(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    body: &SignupRequest,
) -> Result<users::User, AppError> {
    let (email, password, name) = parse_signup(body)?;
    let hash = passwords::hash(password)
        .await
        .map_err(|err| internal("hashing a password", err))?;
    let is_admin = state.settings.is_admin_email(email.as_str());
    let new = NewUser {
        email: &email,
        name: &name,
        password_hash: Some(&hash),
        google_sub: None,
        is_admin,
    };
    let user = users::create(&state.db, new)
        .await
        .map_err(|err| match err {
            CreateError::EmailTaken => {
                AppError::conflict("An account with this email already exists.")
            }
            CreateError::Db(err) => err.into(),
        })?;
    auth::sign_in(state, session, &user, client).await?;
    let event = Event {
        kind: Kind::SignUp,
        user_id: Some(user.id),
        email: Some(&user.email),
        ip: &client.ip,
        detail: "password",
    };
    audit::record(&state.db, event).await;
    Ok(user)
}

/// Parses every field, reporting all that fail at once.
pub fn parse_signup(body: &SignupRequest) -> Result<(Email, Password, DisplayName), AppError> {
    let email = Email::parse(&body.email);
    let password = Password::parse(&body.password);
    let name = DisplayName::parse(&body.name);
    collect_fields([
        ("email", email.as_ref().err()),
        ("password", password.as_ref().err()),
        ("name", name.as_ref().err()),
    ])?;
    match (email, password, name) {
        (Ok(email), Ok(password), Ok(name)) => Ok((email, password, name)),
        // Every error was reported above.
        _ => Err(AppError::internal()),
    }
}

pub async fn log_in(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<CurrentUser>, AppError> {
    let password = field("password", Password::for_sign_in(&body.password))?;
    let user =
        sign_in_with_password(&state, &session, &client, &body.email, password, "password").await?;
    Ok(Json(user.to_current()))
}

/// Checks the credentials, signs the account in on `session` (new session id) and records it.
/// `via` names the door in the audit trail. Shared by the JSON API and the HTML form.
pub async fn sign_in_with_password(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    email: &str,
    password: Password,
    via: &str,
) -> Result<users::User, AppError> {
    let user = authenticate_password(state, client, email, password).await?;
    auth::sign_in(state, session, &user, client).await?;
    let event = Event {
        kind: Kind::SignIn,
        user_id: Some(user.id),
        email: Some(&user.email),
        ip: &client.ip,
        detail: via,
    };
    audit::record(&state.db, event).await;
    Ok(user)
}

/// Checks an email and password under throttling and returns the enabled account they open.
/// Shared by the JSON API and the HTML form.
pub async fn authenticate_password(
    state: &AppState,
    client: &ClientInfo,
    raw_email: &str,
    password: Password,
) -> Result<users::User, AppError> {
    // An address that cannot exist is treated exactly like an unknown one.
    let email = Email::parse(raw_email).ok();
    let throttle_key = email.as_ref().map_or_else(
        || raw_email.trim().to_lowercase(),
        |e| e.as_str().to_owned(),
    );
    let throttle = &state.throttle;
    let unavailable = |err| {
        tracing::warn!(error = %err, "sign-in throttle unavailable");
        AppError::unavailable("Sign-in")
    };
    if let Some(wait) = throttle
        .check(&throttle_key, &client.ip)
        .await
        .map_err(unavailable)?
    {
        let event = Event {
            kind: Kind::SignInThrottled,
            user_id: None,
            email: Some(&throttle_key),
            ip: &client.ip,
            detail: "",
        };
        audit::record(&state.db, event).await;
        return Err(AppError::rate_limited(wait));
    }
    let user = match &email {
        Some(email) => users::by_email(&state.db, email).await?,
        None => None,
    };
    let hash = user.as_ref().and_then(users::User::password_hash);
    let password_for_rehash = hash
        .as_ref()
        .filter(|hash| hash.needs_rehash())
        .map(|_| password.clone());
    let verified = passwords::verify(password, hash)
        .await
        .map_err(|err| internal("verifying a password", err))?;
    let Some(user) = user.filter(|_| verified) else {
        throttle
            .failed(&throttle_key, &client.ip)
            .await
            .map_err(unavailable)?;
        let event = Event {
            kind: Kind::SignInFailed,
            user_id: None,
            email: Some(&throttle_key),
            ip: &client.ip,
            detail: "password",
        };
        audit::record(&state.db, event).await;
        return Err(bad_credentials());
    };
    throttle
        .succeeded(&throttle_key, &client.ip)
        .await
        .map_err(unavailable)?;
    upgrade_hash(state, &user, password_for_rehash).await;
    if user.disabled {
        let event = Event {
            kind: Kind::SignInFailed,
            user_id: Some(user.id),
            email: Some(&user.email),
            ip: &client.ip,
            detail: "disabled",
        };
        audit::record(&state.db, event).await;
        return Err(auth::account_disabled());
    }
    promote_listed_admin(state, user).await
}

/// Replaces a hash made with an older release's settings, now that the password is known. A
/// failure only leaves the old hash in place.
async fn upgrade_hash(state: &AppState, user: &users::User, password: Option<Password>) {
    let Some(password) = password else {
        return;
    };
    match passwords::hash(password).await {
        Ok(hash) => {
            let upgraded = match users::set_password_hash(&state.db, user.id, &hash).await {
                Ok(changed) => state.announce(changed).await.map_err(|err| err.to_string()),
                Err(err) => Err(err.to_string()),
            };
            if let Err(err) = upgraded {
                tracing::warn!(error = %err, user_id = user.id, "could not upgrade a password hash");
            }
        }
        Err(err) => tracing::warn!(error = format!("{err:#}"), "could not rehash a password"),
    }
}

/// Accounts listed in `ADMIN_EMAILS` become admins when they sign in.
pub async fn promote_listed_admin(
    state: &AppState,
    mut user: users::User,
) -> Result<users::User, AppError> {
    if !user.is_admin && state.settings.is_admin_email(&user.email) {
        let changed = users::set_admin(&state.db, user.id, true).await?;
        state.announce(changed).await?;
        user.is_admin = true;
    }
    Ok(user)
}

pub async fn log_out(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
) -> Result<StatusCode, AppError> {
    let signed_in = match auth::authenticate(&state, session.clone()).await {
        Ok(me) => me,
        // A disabled account: its session has already ended; signing out still succeeds.
        Err(AppError::Forbidden { .. }) => None,
        Err(err) => return Err(err),
    };
    if let Some(me) = signed_in {
        let event = Event {
            kind: Kind::SignOut,
            user_id: Some(me.user.id),
            email: Some(&me.user.email),
            ip: &client.ip,
            detail: "",
        };
        audit::record(&state.db, event).await;
    }
    auth::end_session(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}
