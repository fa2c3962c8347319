//! How the API's HTTP types describe themselves in the OpenAPI document, so the document is
//! generated from the handlers' own signatures (aide): a body or query extractor documents its
//! schema and its 400/422, [`Created`](super::response::Created) its 201, the error type its
//! body. The document itself is assembled in [`api::openapi`](crate::server::api::openapi).

use aide::{
    OperationInput, OperationOutput,
    generate::{GenContext, in_context},
    openapi::{MediaType, Operation, ReferenceOr, Response, SchemaObject, StatusCode},
    transform::TransformOperation,
};
use schemars::JsonSchema;

use super::{
    client::ClientInfo,
    error::{ApiJson, ApiQuery},
};
use crate::error::AppError;

/// The security scheme of every operation that needs a signed-in session.
pub const SESSION_COOKIE: &str = "sessionCookie";

fn why(status: u16) -> &'static str {
    match status {
        400 => "The body is not JSON, lacks its content type, or is too large",
        401 => "No valid session",
        403 => "Not allowed (not an admin, a disabled account, or a cross-site request)",
        404 => "No such thing, or not yours",
        409 => "Conflicts with existing data",
        422 => "A field or parameter is unacceptable",
        429 => "Too many attempts; see Retry-After",
        503 => "A dependency is unavailable; see Retry-After",
        _ => "An error",
    }
}

/// The documented answer for an error status: the [`AppError`] body.
pub fn error_response(ctx: &mut GenContext, status: u16) -> Response {
    let mut response = Response {
        description: why(status).into(),
        ..Default::default()
    };
    response.content.insert(
        "application/json".into(),
        MediaType {
            schema: Some(SchemaObject {
                json_schema: ctx.schema.subschema_for::<AppError>(),
                example: None,
                external_docs: None,
            }),
            ..Default::default()
        },
    );
    response
}

/// `statuses` as inferred responses.
pub fn error_responses(ctx: &mut GenContext, statuses: &[u16]) -> Vec<(Option<u16>, Response)> {
    statuses
        .iter()
        .map(|&status| (Some(status), error_response(ctx, status)))
        .collect()
}

/// Documents the error statuses an operation answers besides those its extractors bring.
pub fn errors<'t>(mut op: TransformOperation<'t>, statuses: &[u16]) -> TransformOperation<'t> {
    let operation = op.inner_mut();
    in_context(|ctx| {
        let responses = operation.responses.get_or_insert_with(Default::default);
        for &status in statuses {
            responses
                .responses
                .entry(StatusCode::Code(status))
                .or_insert_with(|| ReferenceOr::Item(error_response(ctx, status)));
        }
    });
    op
}

/// Marks an operation as needing the session cookie.
pub fn require_session(operation: &mut Operation) {
    if !operation
        .security
        .iter()
        .any(|requirement| requirement.contains_key(SESSION_COOKIE))
    {
        let mut requirement = aide::openapi::SecurityRequirement::default();
        requirement.insert(SESSION_COOKIE.into(), Vec::new());
        operation.security.push(requirement);
    }
}

/// Needed for `Result<_, AppError>` handlers. It documents nothing itself: which statuses an
/// operation answers comes from its extractors and its route-table entry ([`errors`]).
impl OperationOutput for AppError {
    type Inner = AppError;
}

impl<T: JsonSchema> OperationInput for ApiJson<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        axum::Json::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        error_responses(ctx, &[400, 422])
    }
}

impl<T: JsonSchema> OperationInput for ApiQuery<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        axum::extract::Query::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        error_responses(ctx, &[400, 422])
    }
}

/// Where a request came from is not an input the client chooses.
impl OperationInput for ClientInfo {}
