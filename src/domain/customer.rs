//! The validated fields of a customer record.

/// A customer's plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    Free,
    Team,
    Enterprise,
}

impl Plan {
    pub const ALL: [Plan; 3] = [Plan::Free, Plan::Team, Plan::Enterprise];

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|plan| plan.as_str() == raw.trim())
            .ok_or_else(|| "must be one of free, team, enterprise".to_owned())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Team => "team",
            Plan::Enterprise => "enterprise",
        }
    }
}

/// A company name: may be empty, at most 100 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Company(String);

impl Company {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = raw.trim();
        if text.chars().count() > Self::MAX_LEN {
            return Err(format!("must be at most {} characters", Self::MAX_LEN));
        }
        if text.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_a_closed_set() {
        assert_eq!(Plan::parse(" team ").unwrap(), Plan::Team);
        assert!(Plan::parse("gold").is_err());
        assert!(Plan::parse("").is_err());
    }

    #[test]
    fn a_company_may_be_empty_but_not_long() {
        assert_eq!(Company::parse("  ").unwrap().as_str(), "");
        assert!(Company::parse(&"x".repeat(101)).is_err());
        assert!(Company::parse("a\u{0}b").is_err());
    }
}
