//! Turning request input into domain types, with a 422 that names each field that failed.

use crate::{
    domain::PageRequest,
    error::{AppError, FieldError},
};

/// Parses one field, turning its error into a 422 that names it.
pub fn field<T>(name: &str, parsed: Result<T, String>) -> Result<T, AppError> {
    parsed.map_err(|why| AppError::validation(name, why))
}

/// The 422 naming every field that failed, or `Ok` when none did.
pub fn collect_fields<'a>(
    checks: impl IntoIterator<Item = (&'a str, Option<&'a String>)>,
) -> Result<(), AppError> {
    let fields: Vec<FieldError> = checks
        .into_iter()
        .filter_map(|(field, why)| {
            why.map(|message| FieldError {
                field: field.into(),
                message: message.clone(),
            })
        })
        .collect();
    if fields.is_empty() {
        return Ok(());
    }
    let message = fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ");
    Err(AppError::Validation { message, fields })
}

/// `?page=&per_page=`, with a 422 naming the bad one.
pub fn page_request(page: Option<&str>, per_page: Option<&str>) -> Result<PageRequest, AppError> {
    PageRequest::parse(page, per_page).map_err(|(field, why)| AppError::validation(field, why))
}

/// The `{id}` of a path that names a row by number. Anything but a number names nothing, so it
/// answers 404 like an unknown number (never 422); the document says integer.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(inline)]
pub struct RowId {
    #[schemars(with = "i64")]
    pub id: String,
}

/// The `{id}` of `/sessions/{id}`: a session's opaque handle.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(inline)]
pub struct Handle {
    pub id: String,
}

/// `?page=&per_page=` of a paged list. Read as text, so that a bad value gets a 422 naming it
/// rather than axum's plain 400; the document gives their real type and range.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(inline)]
pub struct PageQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32", range(min = 1, max = 1_000_000), extend("default" = 1))]
    page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32", range(min = 1, max = 100), extend("default" = 20))]
    per_page: Option<String>,
}

impl PageQuery {
    pub fn parse(&self) -> Result<PageRequest, AppError> {
        page_request(self.page.as_deref(), self.per_page.as_deref())
    }
}
