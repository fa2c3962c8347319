//! `/api/customers`: customer records for signed-in users.

use axum::{Json, extract::State};

use crate::{
    domain::Customer,
    error::AppError,
    server::{auth::Authenticated, customers, state::AppState},
};

pub async fn list_customers(
    State(state): State<AppState>,
    _me: Authenticated,
) -> Result<Json<Vec<Customer>>, AppError> {
    Ok(Json(customers::list(&state.db).await?))
}
