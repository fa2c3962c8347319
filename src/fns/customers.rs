//! Customer records: every signed-in user reads them (`/customers`); admins manage them (the
//! admin console). Over [`server::customers::service`](crate::server::customers::service).

use leptos::prelude::*;

use crate::{domain::Customer, error::AppError};

#[server(prefix = "/api/fn", endpoint = "list_customers")]
pub async fn list_customers() -> Result<Vec<Customer>, AppError> {
    use crate::server::{customers::service, identity::current::require_user};
    let me = require_user().await?;
    service::list(&me.state).await
}

/// Adds a customer (admins). `plan` is `free` (the default), `team` or `enterprise`.
#[server(prefix = "/api/fn", endpoint = "create_customer")]
pub async fn create_customer(
    name: String,
    email: String,
    #[server(default)] company: String,
    #[server(default)] plan: Option<String>,
) -> Result<Customer, AppError> {
    use crate::{
        domain::NewCustomerRequest,
        server::{customers::service, http::client::ClientInfo, identity::current::require_admin},
    };
    let me = require_admin().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    let new = NewCustomerRequest {
        name,
        email,
        company,
        plan,
    };
    service::create(&me.state, me.user.id, &client, &new).await
}

/// Changes the fields given (admins).
#[server(prefix = "/api/fn", endpoint = "update_customer")]
pub async fn update_customer(
    id: i64,
    #[server(default)] name: Option<String>,
    #[server(default)] email: Option<String>,
    #[server(default)] company: Option<String>,
    #[server(default)] plan: Option<String>,
) -> Result<Customer, AppError> {
    use crate::{
        domain::UpdateCustomerRequest,
        server::{customers::service, http::client::ClientInfo, identity::current::require_admin},
    };
    let me = require_admin().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    let change = UpdateCustomerRequest {
        name,
        email,
        company,
        plan,
    };
    service::update(&me.state, me.user.id, &client, &id.to_string(), &change).await
}

#[server(prefix = "/api/fn", endpoint = "delete_customer")]
pub async fn delete_customer(id: i64) -> Result<(), AppError> {
    use crate::server::{
        customers::service, http::client::ClientInfo, identity::current::require_admin,
    };
    let me = require_admin().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    service::delete(&me.state, me.user.id, &client, &id.to_string()).await
}
