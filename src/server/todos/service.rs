//! Each user's own todos: the rules of adding, changing and deleting them, over [`repo`]. Every
//! call is scoped to its owner, so another user's todo is simply not found.

use super::repo;
use crate::{
    domain::{Todo, TodoTitle, UpdateTodoRequest},
    error::AppError,
    server::{http::parse::field, platform::state::AppState},
};

fn not_found() -> AppError {
    AppError::not_found("Todo")
}

/// A todo id from a path; anything that is not one names no todo.
fn todo_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| not_found())
}

/// The user's todos, oldest first.
pub async fn list(state: &AppState, user_id: i64) -> Result<Vec<Todo>, AppError> {
    Ok(repo::list(&state.db, user_id).await?)
}

pub async fn create(state: &AppState, user_id: i64, title: &str) -> Result<Todo, AppError> {
    let title = field("title", TodoTitle::parse(title))?;
    Ok(repo::create(&state.db, user_id, &title).await?)
}

/// Changes the fields given; at least one must be.
pub async fn update(
    state: &AppState,
    user_id: i64,
    raw_id: &str,
    change: &UpdateTodoRequest,
) -> Result<Todo, AppError> {
    let title = change.title.as_deref().map(TodoTitle::parse).transpose();
    let title = field("title", title)?;
    if title.is_none() && change.done.is_none() {
        return Err(AppError::Validation {
            message: "Send at least one of title and done.".into(),
            fields: Vec::new(),
        });
    }
    let id = todo_id(raw_id)?;
    repo::update(&state.db, user_id, id, title.as_ref(), change.done)
        .await?
        .ok_or_else(not_found)
}

pub async fn delete(state: &AppState, user_id: i64, raw_id: &str) -> Result<(), AppError> {
    if repo::delete(&state.db, user_id, todo_id(raw_id)?).await? {
        Ok(())
    } else {
        Err(not_found())
    }
}
