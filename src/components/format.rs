//! Formatting shared by pages. Pure string work, so the server and the browser render the same
//! text and hydration matches.

/// `2026-11-26T01:12:03Z` → `2026-11-26 01:12 UTC`; anything else unchanged.
pub fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) if rfc3339.as_bytes().get(10) == Some(&b'T') => {
            format!("{date} {time} UTC")
        }
        _ => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::short_time;

    #[test]
    fn shortens_rfc3339_to_the_minute() {
        assert_eq!(short_time("2026-11-26T01:12:03Z"), "2026-11-26 01:12 UTC");
        assert_eq!(short_time("soon"), "soon");
    }
}
