//! Where to send someone after sign-in (SECURITY X3).

/// Where people land after signing in when `next` is missing or unsafe.
pub const DEFAULT_AFTER_LOGIN: &str = "/welcome";

/// `next` if it is a same-origin path (`/todos?x=1`), otherwise [`DEFAULT_AFTER_LOGIN`].
/// Refuses scheme-relative (`//evil`), backslash (`/\evil`, which browsers treat as `//`),
/// absolute (`https://evil`) and `javascript:` targets, and anything with control characters.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if is_local_path(path) => path.to_owned(),
        _ => DEFAULT_AFTER_LOGIN.to_owned(),
    }
}

fn is_local_path(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !path.chars().any(|c| c.is_control() || c == '\\')
        && path.len() <= 2048
}

/// `/login?next=…` for someone who must sign in to see `path`.
pub fn login_url(path: &str) -> String {
    format!("/login?next={}", encode_component(path))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_pass() {
        assert_eq!(safe_next(Some("/todos")), "/todos");
        assert_eq!(
            safe_next(Some("/todos?filter=open#top")),
            "/todos?filter=open#top"
        );
    }

    #[test]
    fn anything_else_goes_to_welcome() {
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "javascript:alert(1)",
            "evil",
            "",
            "/a\nb",
            "/%0a\\x",
        ] {
            assert_eq!(safe_next(Some(bad)), DEFAULT_AFTER_LOGIN, "{bad:?}");
        }
        assert_eq!(safe_next(None), DEFAULT_AFTER_LOGIN);
    }

    #[test]
    fn login_urls_encode_the_path_and_query() {
        assert_eq!(login_url("/todos"), "/login?next=%2Ftodos");
        assert_eq!(
            login_url("/customers?sort=name&dir=asc"),
            "/login?next=%2Fcustomers%3Fsort%3Dname%26dir%3Dasc"
        );
    }
}
