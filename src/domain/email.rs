//! Email addresses, normalised so that one person has one account whatever the case they type.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest address SMTP allows (RFC 5321 §4.5.3.1.3 limits a path to 256 octets).
pub const MAX_LEN: usize = 254;

/// A syntactically plausible email address, trimmed and lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` with no spaces; anything more is the mail server's business.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("is required".into());
        }
        if email.len() > MAX_LEN {
            return Err(format!("must be at most {MAX_LEN} characters"));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("must be an email address like name@example.com".into());
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty()
            || !domain_ok
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err("must be an email address like name@example.com".into());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn refuses_what_cannot_be_an_address() {
        for bad in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@.com",
            "ada@x..com",
            "a da@x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }
}
