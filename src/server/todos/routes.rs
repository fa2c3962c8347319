//! `/api/todos`: the signed-in user's todos; the JSON adapters of [`service`](super::service).

use axum::{
    Json,
    extract::{Path, State},
    response::NoContent,
};

use super::service;
use crate::{
    domain::{NewTodoRequest, Todo, UpdateTodoRequest},
    error::AppError,
    server::{
        http::{error::ApiJson, parse::RowId, response::Created},
        identity::current::Authenticated,
        platform::state::AppState,
    },
};

pub async fn list_todos(
    State(state): State<AppState>,
    me: Authenticated,
) -> Result<Json<Vec<Todo>>, AppError> {
    Ok(Json(service::list(&state, me.user.id).await?))
}

pub async fn create_todo(
    State(state): State<AppState>,
    me: Authenticated,
    ApiJson(body): ApiJson<NewTodoRequest>,
) -> Result<Created<Todo>, AppError> {
    Ok(Created(
        service::create(&state, me.user.id, &body.title).await?,
    ))
}

pub async fn update_todo(
    State(state): State<AppState>,
    me: Authenticated,
    Path(RowId { id }): Path<RowId>,
    ApiJson(body): ApiJson<UpdateTodoRequest>,
) -> Result<Json<Todo>, AppError> {
    Ok(Json(service::update(&state, me.user.id, &id, &body).await?))
}

pub async fn delete_todo(
    State(state): State<AppState>,
    me: Authenticated,
    Path(RowId { id }): Path<RowId>,
) -> Result<NoContent, AppError> {
    service::delete(&state, me.user.id, &id).await?;
    Ok(NoContent)
}
