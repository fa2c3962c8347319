//! The server binary's subcommands besides serving: account administration and development
//! seed data. Admins come from here or from `ADMIN_EMAILS`, never from a built-in account
//! (SECURITY P6).

use std::io::BufRead;

use anyhow::{Context, bail};

use super::config::Settings;
use crate::{
    domain::{DisplayName, Email, Password, TodoTitle},
    server::{
        customers::repo as customers,
        db::Db,
        identity::{
            accounts::{AccountError, Accounts},
            password::hashing::Hasher,
            users::{self, NewUser},
        },
        sessions::store::Backend,
        todos::repo as todos,
    },
};

pub const USAGE: &str = "\
usage:
  gatehouse [serve]                               run the server
  gatehouse user create EMAIL NAME [--admin]      create an account; the password is read from
                                                  GATEHOUSE_PASSWORD or the first line of stdin
  gatehouse user promote EMAIL                    make an account an admin
  gatehouse user demote EMAIL                     take the admin role away
  gatehouse seed-demo                             add demo data for development (never automatic)";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    CreateUser {
        email: String,
        name: String,
        admin: bool,
    },
    SetAdmin {
        email: String,
        admin: bool,
    },
    SeedDemo,
    Help,
}

impl Command {
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Ok(match args.as_slice() {
            [] | ["serve"] => Command::Serve,
            ["-h" | "--help" | "help"] => Command::Help,
            ["user", "create", email, name] => Command::CreateUser {
                email: (*email).into(),
                name: (*name).into(),
                admin: false,
            },
            ["user", "create", email, name, "--admin"] => Command::CreateUser {
                email: (*email).into(),
                name: (*name).into(),
                admin: true,
            },
            ["user", "promote", email] => Command::SetAdmin {
                email: (*email).into(),
                admin: true,
            },
            ["user", "demote", email] => Command::SetAdmin {
                email: (*email).into(),
                admin: false,
            },
            ["seed-demo"] => Command::SeedDemo,
            _ => bail!("unknown command: {}\n{USAGE}", args.join(" ")),
        })
    }
}

/// Runs a non-serving command against the configured database.
pub async fn run(command: Command, settings: &Settings) -> anyhow::Result<()> {
    let db = Db::connect(settings).await?;
    match command {
        Command::Serve | Command::Help => {}
        Command::CreateUser { email, name, admin } => {
            let email = Email::parse(&email).map_err(|why| anyhow::anyhow!("email {why}"))?;
            let name = DisplayName::parse(&name).map_err(|why| anyhow::anyhow!("name {why}"))?;
            let password = read_password()?;
            let password =
                Password::parse(&password).map_err(|why| anyhow::anyhow!("password {why}"))?;
            let hash = Hasher::start(1).hash(password).await?;
            let new = NewUser {
                email: &email,
                name: &name,
                password_hash: Some(&hash),
                google_sub: None,
                is_admin: admin,
                email_verified: false,
            };
            let sessions = Backend::from_settings(settings, &db).await?;
            match Accounts::new(&db, &sessions).create(new).await {
                Ok(user) => println!(
                    "created user {} <{}>{}",
                    user.id,
                    user.email,
                    if admin { " (admin)" } else { "" }
                ),
                Err(AccountError::EmailTaken) => {
                    bail!("an account with email {email} already exists")
                }
                Err(err) => return Err(err).context("creating the user"),
            }
        }
        Command::SetAdmin { email, admin } => {
            let parsed = Email::parse(&email).map_err(|why| anyhow::anyhow!("email {why}"))?;
            let user = users::by_email(&db, &parsed)
                .await?
                .with_context(|| format!("no account with email {email}"))?;
            // Running servers cache users: tell them through the session store.
            let sessions = Backend::from_settings(settings, &db).await?;
            match Accounts::new(&db, &sessions)
                .set_admin(user.id, admin)
                .await
            {
                Ok(_) => {}
                Err(AccountError::Unannounced(err)) => {
                    return Err(err).context(
                        "the change is saved, but running servers could not be told through the \
                         session store; they pick it up within 5 seconds",
                    );
                }
                Err(err) => return Err(err).context("changing the role"),
            }
            println!(
                "{} is {}",
                user.email,
                if admin {
                    "now an admin"
                } else {
                    "no longer an admin"
                }
            );
        }
        Command::SeedDemo => seed_demo(settings, &db).await?,
    }
    db.close().await;
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("GATEHOUSE_PASSWORD") {
        return Ok(password);
    }
    eprintln!("password (one line on stdin):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// The demo account's credentials, printed by `seed-demo`.
pub const DEMO_EMAIL: &str = "demo@example.com";
pub const DEMO_PASSWORD: &str = "demo passphrase 2024";

/// Made-up customers for the `/customers` page in development.
const DEMO_CUSTOMERS: &[(&str, &str, &str, &str)] = &[
    (
        "Ada Lovelace",
        "ada@analytical.example",
        "Analytical Engines",
        "enterprise",
    ),
    (
        "Grace Hopper",
        "grace@cobol.example",
        "Compilers Inc.",
        "team",
    ),
    (
        "Alan Turing",
        "alan@bletchley.example",
        "Bletchley Park",
        "free",
    ),
    (
        "Katherine Johnson",
        "katherine@orbit.example",
        "Orbital Mechanics",
        "enterprise",
    ),
    (
        "Edsger Dijkstra",
        "edsger@paths.example",
        "Shortest Paths BV",
        "team",
    ),
    (
        "Barbara Liskov",
        "barbara@substitution.example",
        "Abstractions LLC",
        "team",
    ),
    ("Donald Knuth", "don@tex.example", "Typesetting Co.", "free"),
    (
        "Margaret Hamilton",
        "margaret@apollo.example",
        "Apollo Software",
        "enterprise",
    ),
];

async fn seed_demo(settings: &Settings, db: &Db) -> anyhow::Result<()> {
    let email = Email::parse(DEMO_EMAIL).map_err(anyhow::Error::msg)?;
    if users::by_email(db, &email).await?.is_some() {
        println!("demo data already present: sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}");
        return Ok(());
    }
    let name = DisplayName::parse("Demo User").map_err(anyhow::Error::msg)?;
    let password = Password::parse(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    let hash = Hasher::start(1).hash(password).await?;
    let new = NewUser {
        email: &email,
        name: &name,
        password_hash: Some(&hash),
        google_sub: None,
        is_admin: false,
        // Demo data: its address is made up, so there is nothing to prove.
        email_verified: true,
    };
    let sessions = Backend::from_settings(settings, db).await?;
    let user = Accounts::new(db, &sessions)
        .create(new)
        .await
        .map_err(|err| anyhow::anyhow!("creating the demo user: {err}"))?;
    for title in [
        "Read the Gatehouse README",
        "Sign in with Google",
        "Review active sessions",
    ] {
        todos::create(
            db,
            user.id,
            &TodoTitle::parse(title).map_err(anyhow::Error::msg)?,
        )
        .await?;
    }
    for (name, email, company, plan) in DEMO_CUSTOMERS {
        customers::create(db, name, email, company, plan).await?;
    }
    println!("demo data added: sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> anyhow::Result<Command> {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        Command::parse(&args)
    }

    #[test]
    fn parses_every_command() {
        assert_eq!(parse("").unwrap(), Command::Serve);
        assert_eq!(parse("serve").unwrap(), Command::Serve);
        assert_eq!(
            parse("user create a@b.co Ada --admin").unwrap(),
            Command::CreateUser {
                email: "a@b.co".into(),
                name: "Ada".into(),
                admin: true
            }
        );
        assert_eq!(
            parse("user promote a@b.co").unwrap(),
            Command::SetAdmin {
                email: "a@b.co".into(),
                admin: true
            }
        );
        assert_eq!(
            parse("user demote a@b.co").unwrap(),
            Command::SetAdmin {
                email: "a@b.co".into(),
                admin: false
            }
        );
        assert_eq!(parse("seed-demo").unwrap(), Command::SeedDemo);
    }

    #[test]
    fn unknown_commands_print_the_usage() {
        let err = parse("user delete a@b.co").unwrap_err().to_string();
        assert!(err.contains("usage:"), "{err}");
    }
}
