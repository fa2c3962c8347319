//! Success answers whose status is part of their type, so the OpenAPI document can read it.

use aide::{
    OperationOutput,
    generate::GenContext,
    openapi::{Operation, Response},
};
use axum::{
    Json,
    http::{HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, NoContent, Response as HttpResponse},
};
use schemars::JsonSchema;
use serde::Serialize;

/// `201 Created` with the new thing as JSON.
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> HttpResponse {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

impl<T: JsonSchema> OperationOutput for Created<T> {
    type Inner = T;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<Response> {
        Json::<T>::operation_response(ctx, operation)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        Self::operation_response(ctx, operation)
            .map(|response| vec![(Some(201), response)])
            .unwrap_or_default()
    }
}

/// `202 Accepted`, no body: the request was taken, and what follows (a mail) happens later. The
/// same answer whatever the request named, so it reveals nothing.
pub struct Accepted;

impl IntoResponse for Accepted {
    fn into_response(self) -> HttpResponse {
        StatusCode::ACCEPTED.into_response()
    }
}

impl OperationOutput for Accepted {
    type Inner = ();

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<Response> {
        NoContent::operation_response(ctx, operation).map(|mut response| {
            response.description = "Accepted: what follows happens later".into();
            response
        })
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        Self::operation_response(ctx, operation)
            .map(|response| vec![(Some(202), response)])
            .unwrap_or_default()
    }
}

/// `204 No Content` after a sign-out, asking the browser to clear what the site stored
/// (`Clear-Site-Data: "storage"`).
///
/// # Security
/// Never `"cookies"`: that would delete the device cookie too, and with it the owner's
/// exemption from throttling (SECURITY P9). The session cookie is removed by its own
/// `Set-Cookie` (S3).
pub struct SignedOut;

impl IntoResponse for SignedOut {
    fn into_response(self) -> HttpResponse {
        (
            StatusCode::NO_CONTENT,
            [(
                HeaderName::from_static("clear-site-data"),
                HeaderValue::from_static("\"storage\""),
            )],
        )
            .into_response()
    }
}

impl OperationOutput for SignedOut {
    type Inner = ();

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<Response> {
        NoContent::operation_response(ctx, operation)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        NoContent::inferred_responses(ctx, operation)
    }
}
