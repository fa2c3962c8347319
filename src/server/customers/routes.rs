//! `/api/customers`: the JSON adapters of [`service`](super::service). Any signed-in user reads
//! customers; admins manage them.

use axum::{
    Json,
    extract::{Path, State},
    response::NoContent,
};

use super::service;
use crate::{
    domain::{Customer, NewCustomerRequest, UpdateCustomerRequest},
    error::AppError,
    server::{
        http::{client::ClientInfo, error::ApiJson, parse::RowId, response::Created},
        identity::current::{Admin, Authenticated},
        platform::state::AppState,
    },
};

pub async fn list_customers(
    State(state): State<AppState>,
    _me: Authenticated,
) -> Result<Json<Vec<Customer>>, AppError> {
    Ok(Json(service::list(&state).await?))
}

pub async fn get_customer(
    State(state): State<AppState>,
    _me: Authenticated,
    Path(RowId { id }): Path<RowId>,
) -> Result<Json<Customer>, AppError> {
    Ok(Json(service::get(&state, &id).await?))
}

pub async fn create_customer(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    ApiJson(body): ApiJson<NewCustomerRequest>,
) -> Result<Created<Customer>, AppError> {
    let customer = service::create(&state, me.user.id, &client, &body).await?;
    Ok(Created(customer))
}

pub async fn update_customer(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    Path(RowId { id }): Path<RowId>,
    ApiJson(body): ApiJson<UpdateCustomerRequest>,
) -> Result<Json<Customer>, AppError> {
    let customer = service::update(&state, me.user.id, &client, &id, &body).await?;
    Ok(Json(customer))
}

pub async fn delete_customer(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    Path(RowId { id }): Path<RowId>,
) -> Result<NoContent, AppError> {
    service::delete(&state, me.user.id, &client, &id).await?;
    Ok(NoContent)
}
