//! Passwords as people choose them, checked the way NIST SP 800-63B and OWASP ASVS V6 ask:
//! length, not composition (SECURITY P1).

use std::fmt;

/// Fewer characters than this are refused.
pub const MIN_LEN: usize = 8;
/// What the forms suggest.
pub const SUGGESTED_LEN: usize = 12;
/// More characters than this are refused, so one request cannot make the server hash megabytes.
/// Far above the 64 that must be accepted; nothing is ever truncated.
pub const MAX_LEN: usize = 1024;

/// Frequently breached passwords of at least [`MIN_LEN`] characters, compared case-insensitively.
const COMMON: &str = include_str!("common_passwords.txt");

/// A password that meets the policy. Never serialised, and `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Checks a new password: 8 to 1024 characters (Unicode, spaces allowed), not a common one.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let length = raw.chars().count();
        if length < MIN_LEN {
            return Err(format!(
                "must be at least {MIN_LEN} characters ({SUGGESTED_LEN} or more is better)"
            ));
        }
        if length > MAX_LEN {
            return Err(format!("must be at most {MAX_LEN} characters"));
        }
        if is_common(raw) {
            return Err("is one of the most common passwords; choose another".into());
        }
        Ok(Self(raw.to_owned()))
    }

    /// A password as typed at sign-in, checked only against [`MAX_LEN`]: the policy may have
    /// changed since it was set, and refusing early would tell an attacker something.
    pub fn for_sign_in(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("is required".into());
        }
        if raw.chars().count() > MAX_LEN {
            return Err(format!("must be at most {MAX_LEN} characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn is_common(raw: &str) -> bool {
    let lowered = raw.to_lowercase();
    COMMON.lines().any(|common| common == lowered)
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_the_rule() {
        assert!(Password::parse("seven77").is_err());
        assert!(Password::parse("correct horse").is_ok(), "spaces allowed");
        assert!(
            Password::parse("ünïcødé✓").is_ok(),
            "8 characters, more bytes"
        );
        assert!(
            Password::parse(&"x".repeat(64)).is_ok(),
            "64 must be accepted"
        );
        assert!(Password::parse(&"y".repeat(1025)).is_err());
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        assert!(Password::parse("password123").is_err());
        assert!(Password::parse("PassWord123").is_err());
        assert!(Password::parse("qwertyuiop").is_err());
    }

    #[test]
    fn no_truncation_two_long_passwords_differ_after_position_72() {
        let a = format!("{}a", "z".repeat(80));
        let b = format!("{}b", "z".repeat(80));
        assert_ne!(Password::parse(&a).unwrap(), Password::parse(&b).unwrap());
    }

    #[test]
    fn debug_hides_the_password() {
        let password = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
