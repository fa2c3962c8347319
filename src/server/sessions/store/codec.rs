//! The one encoding of a stored session, written by every store (the embedded SQL table and
//! Redis), so no store depends on another crate's private format.
//!
//! # Format, version 1
//! A JSON object with exactly these fields:
//!
//! ```json
//! {"v":1,"expires":1767225600,"data":{"auth":{"user_id":7,"signed_in_at":…}}}
//! ```
//!
//! - `v`: the format version, `1`;
//! - `expires`: when the session expires, in unix seconds (the store also expires it there);
//! - `data`: the session's keys and their JSON values, as tower-sessions' [`Record::data`]
//!   holds them.
//!
//! The record's id is the store's key and never part of the value. A test pins these bytes, so
//! a change to the format is a deliberate one: give it a new `v` and keep decoding the old.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store::{Error as StoreError, Result as StoreResult},
};

/// The current format version.
const VERSION: u8 = 1;

#[derive(Serialize)]
struct Encoded<'a> {
    v: u8,
    expires: i64,
    data: &'a HashMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct Decoded {
    v: u8,
    expires: i64,
    data: HashMap<String, serde_json::Value>,
}

/// The stored bytes of `record`.
pub fn encode(record: &Record) -> StoreResult<Vec<u8>> {
    let encoded = Encoded {
        v: VERSION,
        expires: record.expiry_date.unix_timestamp(),
        data: &record.data,
    };
    serde_json::to_vec(&encoded).map_err(|err| StoreError::Encode(err.to_string()))
}

/// The record stored under `id` as `bytes`.
///
/// Rows that the embedded store wrote before this format (tower-sessions' own serde form of a
/// [`Record`], whose public `Deserialize` reads them) still decode, so an upgrade signs no one
/// out; they are rewritten in this format on their next save.
pub fn decode(id: Id, bytes: &[u8]) -> StoreResult<Record> {
    match serde_json::from_slice::<Decoded>(bytes) {
        Ok(decoded) if decoded.v == VERSION => {
            let expiry_date = OffsetDateTime::from_unix_timestamp(decoded.expires)
                .map_err(|err| StoreError::Decode(err.to_string()))?;
            Ok(Record {
                id,
                data: decoded.data,
                expiry_date,
            })
        }
        Ok(decoded) => Err(StoreError::Decode(format!(
            "unknown session format version {}",
            decoded.v
        ))),
        Err(err) => match serde_json::from_slice::<Record>(bytes) {
            Ok(mut legacy) => {
                legacy.id = id;
                Ok(legacy)
            }
            Err(_) => Err(StoreError::Decode(err.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            id: Id(42),
            data: [(
                "auth".to_owned(),
                serde_json::json!({"user_id": 7, "signed_in_at": 1_767_225_000}),
            )]
            .into(),
            expiry_date: OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap(),
        }
    }

    #[test]
    fn the_encoding_is_pinned() {
        // A change here signs every user out on upgrade unless `decode` still reads the old
        // form: bump `v` and keep the old branch.
        let bytes = encode(&record()).unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"v":1,"expires":1767225600,"data":{"auth":{"signed_in_at":1767225000,"user_id":7}}}"#
        );
    }

    #[test]
    fn a_record_decodes_to_itself_under_the_id_it_is_stored_at() {
        let bytes = encode(&record()).unwrap();
        let decoded = decode(Id(9), &bytes).unwrap();
        assert_eq!(
            decoded.id,
            Id(9),
            "the id is the key, not part of the value"
        );
        assert_eq!(decoded.data, record().data);
        assert_eq!(decoded.expiry_date, record().expiry_date);
    }

    #[test]
    fn rows_in_the_earlier_embedded_format_still_decode() {
        let mut legacy = record();
        legacy.id = Id(1);
        let bytes = serde_json::to_vec(&legacy).unwrap();
        let decoded = decode(Id(42), &bytes).unwrap();
        assert_eq!(decoded.id, Id(42));
        assert_eq!(decoded.data, record().data);
        assert_eq!(decoded.expiry_date, record().expiry_date);
    }

    #[test]
    fn an_unknown_version_or_garbage_is_a_decode_error_not_a_panic() {
        for bytes in [
            &br#"{"v":2,"expires":1,"data":{}}"#[..],
            b"not json",
            b"",
            b"\x92\xa1a",
        ] {
            assert!(matches!(decode(Id(1), bytes), Err(StoreError::Decode(_))));
        }
    }
}
