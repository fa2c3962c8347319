//! `/dev/mailbox`: the outbox as a developer reads it (after Phoenix's `/dev/mailbox`): every
//! mail newest first, with its text and HTML, and links that work. Served only when
//! `dev_mailbox` is on, which a release build beyond loopback refuses.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

use super::{compose::escape, outbox};
use crate::{
    error::AppError,
    server::{http::error::db_error, platform::state::AppState},
};

/// The mailbox's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dev/mailbox", get(list))
        .route("/dev/mailbox/{id}/html", get(html_part))
        .route("/dev/mailbox/{id}/text", get(text_part))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:900px;margin:24px auto;\
                     color:#1f2933}table{border-collapse:collapse;width:100%}td,th{text-align:left;\
                     padding:6px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top}";

/// Every mail, newest first.
async fn list(State(state): State<AppState>) -> Response {
    let mails = match outbox::newest(&state.db, 200).await {
        Ok(mails) => mails,
        Err(err) => return db_error(err).into_response(),
    };
    let rows: String = mails
        .iter()
        .map(|mail| {
            let status = match (mail.sent_at, &mail.last_error) {
                (Some(_), _) => "sent".to_owned(),
                (None, Some(error)) => format!("waiting (last try: {})", escape(error)),
                (None, None) => "waiting".to_owned(),
            };
            format!(
                "<tr data-testid=\"mail\"><td>{}</td><td>{}</td><td>{}</td>\
                 <td><a href=\"/dev/mailbox/{id}/html\">HTML</a> · \
                 <a href=\"/dev/mailbox/{id}/text\">text</a></td><td>{status}</td></tr>",
                crate::server::db::clock::rfc3339(mail.created_at),
                escape(&mail.recipient),
                escape(&mail.subject),
                id = mail.id,
            )
        })
        .collect();
    let empty = if mails.is_empty() {
        "<p>No mail yet.</p>"
    } else {
        ""
    };
    page(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Mailbox</title>\
         </head><body><h1>Mailbox</h1><p>Every mail Gatehouse wrote, newest first (development \
         only).</p>{empty}<table><thead><tr><th>Written</th><th>To</th><th>Subject</th>\
         <th>Read</th><th>Status</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
    ))
}

/// The HTML part, as the recipient's mail client would show it.
async fn html_part(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match find(&state, &id).await {
        Ok(Some(mail)) => page(mail.html_body),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => err.into_response(),
    }
}

/// The plain-text part.
async fn text_part(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match find(&state, &id).await {
        Ok(Some(mail)) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            mail.text_body,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => err.into_response(),
    }
}

/// The mail a path names; an id that is not a number names none.
async fn find(state: &AppState, id: &str) -> Result<Option<outbox::Stored>, AppError> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    outbox::by_id(&state.db, id).await.map_err(db_error)
}

/// An HTML page styled by its own `<style>` only: the page's policy allows that and nothing
/// else (no scripts, no framing).
fn page(body: String) -> Response {
    let body = body.replacen("</head>", &format!("<style>{STYLE}</style></head>"), 1);
    let mut response = Html(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
        ),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
