//! Customer records: the rules of adding, changing and deleting them (each audited), over
//! [`repo`].

use super::repo::{self, Fields};
use crate::{
    domain::{
        Customer, DisplayName, Email, NewCustomerRequest, UpdateCustomerRequest,
        customer::{Company, Plan},
    },
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        http::{client::ClientInfo, parse::collect_fields},
        platform::state::AppState,
    },
};

/// Every customer.
pub async fn list(state: &AppState) -> Result<Vec<Customer>, AppError> {
    Ok(repo::list(&state.db).await?)
}

/// One customer, by the id a path names.
pub async fn get(state: &AppState, raw_id: &str) -> Result<Customer, AppError> {
    repo::by_id(&state.db, customer_id(raw_id)?)
        .await?
        .ok_or_else(not_found)
}

/// The validated fields of a new or edited record.
struct Parsed {
    name: String,
    email: String,
    company: String,
    plan: Plan,
}

/// Parses every field given, reporting all that fail at once; absent ones keep `base`'s value.
fn parse_fields(
    base: Parsed,
    name: Option<&str>,
    email: Option<&str>,
    company: Option<&str>,
    plan: Option<&str>,
) -> Result<Parsed, AppError> {
    let name = name.map(DisplayName::parse).transpose();
    let email = email.map(Email::parse).transpose();
    let company = company.map(Company::parse).transpose();
    let plan = plan.map(Plan::parse).transpose();
    collect_fields([
        ("name", name.as_ref().err()),
        ("email", email.as_ref().err()),
        ("company", company.as_ref().err()),
        ("plan", plan.as_ref().err()),
    ])?;
    // Every error was reported above, so these are all Ok.
    let (Ok(name), Ok(email), Ok(company), Ok(plan)) = (name, email, company, plan) else {
        return Err(AppError::internal());
    };
    Ok(Parsed {
        name: name.map_or(base.name, |n| n.as_str().to_owned()),
        email: email.map_or(base.email, |e| e.as_str().to_owned()),
        company: company.map_or(base.company, |c| c.as_str().to_owned()),
        plan: plan.unwrap_or(base.plan),
    })
}

/// Adds a customer; `actor` is the admin doing it.
pub async fn create(
    state: &AppState,
    actor: i64,
    client: &ClientInfo,
    body: &NewCustomerRequest,
) -> Result<Customer, AppError> {
    let base = Parsed {
        name: String::new(),
        email: String::new(),
        company: String::new(),
        plan: Plan::Free,
    };
    let parsed = parse_fields(
        base,
        Some(&body.name),
        Some(&body.email),
        Some(&body.company),
        body.plan.as_deref(),
    )?;
    let customer = repo::create(
        &state.db,
        &parsed.name,
        &parsed.email,
        &parsed.company,
        parsed.plan.as_str(),
    )
    .await?;
    record(state, actor, client, Kind::CustomerCreated, &customer).await;
    Ok(customer)
}

/// Changes the fields given; at least one must be.
pub async fn update(
    state: &AppState,
    actor: i64,
    client: &ClientInfo,
    raw_id: &str,
    body: &UpdateCustomerRequest,
) -> Result<Customer, AppError> {
    let id = customer_id(raw_id)?;
    let existing = repo::by_id(&state.db, id).await?.ok_or_else(not_found)?;
    if body.name.is_none() && body.email.is_none() && body.company.is_none() && body.plan.is_none()
    {
        return Err(AppError::Validation {
            message: "Send at least one of name, email, company and plan.".into(),
            fields: Vec::new(),
        });
    }
    let base = Parsed {
        name: existing.name,
        email: existing.email,
        company: existing.company,
        plan: Plan::parse(&existing.plan).unwrap_or(Plan::Free),
    };
    let parsed = parse_fields(
        base,
        body.name.as_deref(),
        body.email.as_deref(),
        body.company.as_deref(),
        body.plan.as_deref(),
    )?;
    let fields = Fields {
        name: &parsed.name,
        email: &parsed.email,
        company: &parsed.company,
        plan: parsed.plan.as_str(),
    };
    let customer = repo::update(&state.db, id, fields)
        .await?
        .ok_or_else(not_found)?;
    record(state, actor, client, Kind::CustomerUpdated, &customer).await;
    Ok(customer)
}

pub async fn delete(
    state: &AppState,
    actor: i64,
    client: &ClientInfo,
    raw_id: &str,
) -> Result<(), AppError> {
    let id = customer_id(raw_id)?;
    let existing = repo::by_id(&state.db, id).await?.ok_or_else(not_found)?;
    if !repo::delete(&state.db, id).await? {
        return Err(not_found());
    }
    record(state, actor, client, Kind::CustomerDeleted, &existing).await;
    Ok(())
}

async fn record(
    state: &AppState,
    actor: i64,
    client: &ClientInfo,
    kind: Kind,
    customer: &Customer,
) {
    let detail = format!("customer {} ({})", customer.id, customer.name);
    let event = Event {
        kind,
        user_id: None,
        email: None,
        ip: &client.ip,
        detail: &detail,
    };
    audit::record_by(&state.db, Some(actor), event).await;
}

fn not_found() -> AppError {
    AppError::not_found("Customer")
}

/// A customer id from the path; anything that is not one names no customer.
fn customer_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| not_found())
}
