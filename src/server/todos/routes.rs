//! `/api/todos`: the signed-in user's todos.

use crate::server::http::{parse::RowId, response::Created};
use axum::{
    Json,
    extract::{Path, State},
    response::NoContent,
};

use super::repo as todos;
use crate::{
    domain::{NewTodoRequest, Todo, TodoTitle, UpdateTodoRequest},
    error::AppError,
    server::{
        http::{error::ApiJson, parse::field},
        identity::current::Authenticated,
        platform::state::AppState,
    },
};

pub async fn list_todos(
    State(state): State<AppState>,
    me: Authenticated,
) -> Result<Json<Vec<Todo>>, AppError> {
    Ok(Json(todos::list(&state.db, me.user.id).await?))
}

pub async fn create_todo(
    State(state): State<AppState>,
    me: Authenticated,
    ApiJson(body): ApiJson<NewTodoRequest>,
) -> Result<Created<Todo>, AppError> {
    let title = field("title", TodoTitle::parse(&body.title))?;
    let todo = todos::create(&state.db, me.user.id, &title).await?;
    Ok(Created(todo))
}

pub async fn update_todo(
    State(state): State<AppState>,
    me: Authenticated,
    Path(RowId { id }): Path<RowId>,
    ApiJson(body): ApiJson<UpdateTodoRequest>,
) -> Result<Json<Todo>, AppError> {
    let title = body.title.as_deref().map(TodoTitle::parse).transpose();
    let title = field("title", title)?;
    if title.is_none() && body.done.is_none() {
        return Err(AppError::Validation {
            message: "Send at least one of title and done.".into(),
            fields: Vec::new(),
        });
    }
    let id = todo_id(&id)?;
    todos::update(&state.db, me.user.id, id, title.as_ref(), body.done)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::not_found("Todo"))
}

pub async fn delete_todo(
    State(state): State<AppState>,
    me: Authenticated,
    Path(RowId { id }): Path<RowId>,
) -> Result<NoContent, AppError> {
    if todos::delete(&state.db, me.user.id, todo_id(&id)?).await? {
        Ok(NoContent)
    } else {
        Err(AppError::not_found("Todo"))
    }
}

/// A todo id from the path; anything that is not one names no todo.
fn todo_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::not_found("Todo"))
}
