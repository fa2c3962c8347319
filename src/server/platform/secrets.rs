//! Keys the app makes for itself on first start and keeps in its database, so that every
//! instance sharing the database uses the same ones: the key that hashes session ids, the key
//! that signs device cookies.
//!
//! Owns the `app_secrets` table.

use anyhow::Context;

use crate::{on_db, server::db::Db};

/// The 32-byte key stored as `name`, made (at random) by whichever instance asks first.
pub async fn key(db: &Db, name: &str) -> anyhow::Result<Vec<u8>> {
    let candidate: [u8; 32] = rand::random();
    on_db!(db, pool => {
        sqlx::query("INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(candidate.as_slice())
            .execute(pool)
            .await?;
        sqlx::query_scalar("SELECT value FROM app_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await
    })
    .with_context(|| format!("loading the key {name}"))
}
