//! The `todos` table. Every query is scoped to its owner, so another user's todo is simply
//! not found.

use sqlx::FromRow;

use crate::{
    domain::{Todo, TodoTitle},
    on_db,
    server::db::{Db, clock::now},
};

#[derive(FromRow)]
struct Row {
    id: i64,
    title: String,
    done: bool,
}

impl From<Row> for Todo {
    fn from(row: Row) -> Self {
        Todo {
            id: row.id,
            title: row.title,
            done: row.done,
        }
    }
}

pub async fn list(db: &Db, user_id: i64) -> Result<Vec<Todo>, sqlx::Error> {
    let rows = on_db!(db, pool => sqlx::query_as::<_, Row>(
        "SELECT id, title, done FROM todos WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(Todo::from).collect())
}

pub async fn create(db: &Db, user_id: i64, title: &TodoTitle) -> Result<Todo, sqlx::Error> {
    let row = on_db!(db, pool => sqlx::query_as::<_, Row>(
        "INSERT INTO todos (user_id, title, done, created_at) VALUES ($1, $2, FALSE, $3)
         RETURNING id, title, done",
    )
    .bind(user_id)
    .bind(title.as_str())
    .bind(now())
    .fetch_one(pool)
    .await)?;
    Ok(row.into())
}

/// Applies the given changes; `None` when the todo does not exist or is not the user's.
pub async fn update(
    db: &Db,
    user_id: i64,
    id: i64,
    title: Option<&TodoTitle>,
    done: Option<bool>,
) -> Result<Option<Todo>, sqlx::Error> {
    let row = on_db!(db, pool => sqlx::query_as::<_, Row>(
        "UPDATE todos SET title = COALESCE($1, title), done = COALESCE($2, done)
         WHERE id = $3 AND user_id = $4 RETURNING id, title, done",
    )
    .bind(title.map(TodoTitle::as_str))
    .bind(done)
    .bind(id)
    .bind(user_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Todo::from))
}

/// `false` when the todo does not exist or is not the user's.
pub async fn delete(db: &Db, user_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => sqlx::query("DELETE FROM todos WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected() == 1))
}
