//! Short user-supplied texts with length limits.

use serde::{Deserialize, Serialize};

/// Trims `raw` and checks it holds 1..=`max` characters and no control characters.
fn bounded(raw: &str, max: usize) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(text.to_owned())
}

/// A person's display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, String> {
        bounded(raw, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The title of a todo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TodoTitle(String);

impl TodoTitle {
    pub const MAX_LEN: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, String> {
        bounded(raw, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_conversions {
    ($($ty:ident),*) => {$(
        impl TryFrom<String> for $ty {
            type Error = String;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> Self {
                value.0
            }
        }
    )*};
}
string_conversions!(DisplayName, TodoTitle);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(
            TodoTitle::parse("  buy milk ").unwrap().as_str(),
            "buy milk"
        );
        assert!(TodoTitle::parse("   ").is_err());
        assert!(TodoTitle::parse(&"x".repeat(201)).is_err());
        assert!(
            TodoTitle::parse(&"é".repeat(200)).is_ok(),
            "limits count characters, not bytes"
        );
        assert!(DisplayName::parse("Ada\u{0}").is_err());
        assert!(DisplayName::parse(&"n".repeat(101)).is_err());
    }
}
