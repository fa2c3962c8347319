//! The `customers` table.

use sqlx::FromRow;

use crate::{
    domain::Customer,
    on_db,
    server::db::{
        Db,
        clock::{now, rfc3339},
    },
};

#[derive(FromRow)]
struct Row {
    id: i64,
    name: String,
    email: String,
    company: String,
    plan: String,
    created_at: i64,
}

impl From<Row> for Customer {
    fn from(row: Row) -> Self {
        Customer {
            id: row.id,
            name: row.name,
            email: row.email,
            company: row.company,
            plan: row.plan,
            created_at: rfc3339(row.created_at),
        }
    }
}

pub async fn list(db: &Db) -> Result<Vec<Customer>, sqlx::Error> {
    let rows = on_db!(db, pool => sqlx::query_as::<_, Row>(
        "SELECT id, name, email, company, plan, created_at FROM customers ORDER BY id",
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(Customer::from).collect())
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Customer>, sqlx::Error> {
    let row = on_db!(db, pool => sqlx::query_as::<_, Row>(
        "SELECT id, name, email, company, plan, created_at FROM customers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Customer::from))
}

/// The fields of a customer, validated.
pub struct Fields<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub company: &'a str,
    pub plan: &'a str,
}

/// Replaces every field of customer `id`; `None` when there is no such customer.
pub async fn update(db: &Db, id: i64, fields: Fields<'_>) -> Result<Option<Customer>, sqlx::Error> {
    let row = on_db!(db, pool => sqlx::query_as::<_, Row>(
        "UPDATE customers SET name = $1, email = $2, company = $3, plan = $4 WHERE id = $5
         RETURNING id, name, email, company, plan, created_at",
    )
    .bind(fields.name)
    .bind(fields.email)
    .bind(fields.company)
    .bind(fields.plan)
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Customer::from))
}

/// Deletes customer `id`; `false` when there was none.
pub async fn delete(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => sqlx::query("DELETE FROM customers WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected() == 1))
}

/// Adds a customer (seed data and the admin console).
pub async fn create(
    db: &Db,
    name: &str,
    email: &str,
    company: &str,
    plan: &str,
) -> Result<Customer, sqlx::Error> {
    let row = on_db!(db, pool => sqlx::query_as::<_, Row>(
        "INSERT INTO customers (name, email, company, plan, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, email, company, plan, created_at",
    )
    .bind(name)
    .bind(email)
    .bind(company)
    .bind(plan)
    .bind(now())
    .fetch_one(pool)
    .await)?;
    Ok(row.into())
}
