//! The signed-in user's todos: the server functions of `/todos`, over
//! [`server::todos::service`](crate::server::todos::service). This is the worked example of
//! `docs/server-functions.md`.

use leptos::prelude::*;

use crate::{domain::Todo, error::AppError};

/// The user's todos, oldest first.
#[server(prefix = "/api/fn", endpoint = "list_todos")]
pub async fn list_todos() -> Result<Vec<Todo>, AppError> {
    use crate::server::{identity::current::require_user, todos::service};
    let me = require_user().await?;
    service::list(&me.state, me.user.id).await
}

#[server(prefix = "/api/fn", endpoint = "create_todo")]
pub async fn create_todo(title: String) -> Result<Todo, AppError> {
    use crate::server::{identity::current::require_user, todos::service};
    let me = require_user().await?;
    service::create(&me.state, me.user.id, &title).await
}

/// Changes the title, whether it is done, or both.
#[server(prefix = "/api/fn", endpoint = "update_todo")]
pub async fn update_todo(
    id: i64,
    #[server(default)] title: Option<String>,
    #[server(default)] done: Option<bool>,
) -> Result<Todo, AppError> {
    use crate::{
        domain::UpdateTodoRequest,
        server::{identity::current::require_user, todos::service},
    };
    let me = require_user().await?;
    let change = UpdateTodoRequest { title, done };
    service::update(&me.state, me.user.id, &id.to_string(), &change).await
}

#[server(prefix = "/api/fn", endpoint = "delete_todo")]
pub async fn delete_todo(id: i64) -> Result<(), AppError> {
    use crate::server::{identity::current::require_user, todos::service};
    let me = require_user().await?;
    service::delete(&me.state, me.user.id, &id.to_string()).await
}
