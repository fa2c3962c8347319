//! Keyed hashing of session ids in front of any store, so the store never holds an id that a
//! cookie could carry.

use std::{fmt, sync::Arc};

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::Result as StoreResult,
};

use super::USERS_EPOCH_FIELD;

/// Wraps a store so that it keys every record on an HMAC-SHA256 of the session id instead of the
/// id itself.
///
/// # Security
/// A dump of Redis or of the session table (a backup, a replica, a debugging `KEYS *`) holds only
/// hashes; without the key, which lives in the SQL database, no stored key can be turned back
/// into a cookie that works (SECURITY S9). The hash also serves as the opaque handle that session
/// listings show, so the cookie value never leaves the cookie.
#[derive(Clone)]
pub struct HashedStore<S> {
    inner: S,
    /// HMAC-SHA256 already keyed: each id then costs two SHA-256 blocks rather than four.
    mac: Arc<Hmac<Sha256>>,
}

impl<S> fmt::Debug for HashedStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashedStore").finish_non_exhaustive()
    }
}

impl<S: SessionStore> HashedStore<S> {
    pub fn new(inner: S, key: &[u8]) -> Self {
        Self {
            inner,
            mac: Arc::new(Hmac::new_from_slice(key).expect("HMAC accepts any key length")),
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The id under which the store keeps the session whose cookie holds `id`.
    pub fn storage_id(&self, id: &Id) -> Id {
        let mut mac = (*self.mac).clone();
        mac.update(&id.0.to_le_bytes());
        let digest = mac.finalize().into_bytes();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        Id(i128::from_le_bytes(first))
    }

    /// The id under which the stand-in of a rotated session with cookie id `id` is kept: never
    /// the session's own storage id, so a save (which writes only over a live record) that a
    /// request in flight makes with the old id finds nothing to write over (SECURITY C7).
    fn stand_in_id(&self, id: &Id) -> Id {
        let mut mac = (*self.mac).clone();
        mac.update(b"rotated:");
        mac.update(&id.0.to_le_bytes());
        let digest = mac.finalize().into_bytes();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        Id(i128::from_le_bytes(first))
    }

    /// The record as stored: under the hashed id, without the users epoch a load added.
    fn hashed(&self, record: &Record) -> Record {
        let mut data = record.data.clone();
        data.remove(USERS_EPOCH_FIELD);
        Record {
            id: self.storage_id(&record.id),
            data,
            expiry_date: record.expiry_date,
        }
    }

    /// Deletes a session by its storage id (the handle shown in session listings).
    pub async fn delete_by_storage_id(&self, storage_id: &Id) -> StoreResult<()> {
        self.inner.delete(storage_id).await
    }
}

/// The one key of a rotated session's stand-in (see [`HashedStore::mark_rotated`]).
pub const ROTATED_KEY: &str = "rotated";

/// How long a rotated session's stand-in answers for its old id.
const ROTATED_LIFETIME: time::Duration = time::Duration::seconds(60);

impl HashedStore<super::Backend> {
    /// Deletes the session whose cookie holds `id`, answering whether this call is the one that
    /// deleted it (see [`Backend::take`](super::Backend::take)).
    pub async fn take(&self, id: &Id) -> StoreResult<bool> {
        self.inner.take(&self.storage_id(id)).await
    }

    /// Leaves a stand-in under the id of a session that was just given a new one: for a
    /// minute, requests still carrying the old cookie (sent in parallel with the one that
    /// rotated it) find a session that is signed in to nobody, rather than none at all, so
    /// their answers do not remove the cookie the browser now holds.
    ///
    /// The stand-in lives under its own storage id ([`stand_in_id`](Self::stand_in_id)): a
    /// request that loaded the session before the rotation and saves it after finds no record
    /// under the old id to write over, so the old id never comes back, outside the session
    /// index where "sign out everywhere" could not reach it (SECURITY C7). A load of the old id
    /// finds the stand-in.
    pub async fn mark_rotated(&self, id: &Id) -> StoreResult<()> {
        let stand_in = Record {
            id: self.stand_in_id(id),
            data: [(ROTATED_KEY.to_owned(), serde_json::Value::Bool(true))].into(),
            expiry_date: time::OffsetDateTime::now_utc() + ROTATED_LIFETIME,
        };
        self.inner.try_create(&stand_in).await.map(drop)
    }
}

#[async_trait]
impl<S: SessionStore + Clone> SessionStore for HashedStore<S> {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        loop {
            let mut stored = self.hashed(record);
            let wanted = stored.id;
            self.inner.create(&mut stored).await?;
            if stored.id == wanted {
                return Ok(());
            }
            // The inner store found the hash taken and stored the record under an id of its own
            // choosing, which no cookie maps to. Undo that and try a fresh cookie id.
            self.inner.delete(&stored.id).await?;
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        self.inner.save(&self.hashed(record)).await
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        let found = match self.inner.load(&self.storage_id(id)).await? {
            Some(record) => Some(record),
            // An id that names no session may be one that was just rotated: its stand-in (one
            // more read, only for ids the store does not know).
            None => self
                .inner
                .load(&self.stand_in_id(id))
                .await?
                .filter(|record| record.data.contains_key(ROTATED_KEY)),
        };
        Ok(found.map(|mut record| {
            record.id = *id;
            record
        }))
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        self.inner.delete(&self.storage_id(id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;
    use tower_sessions::MemoryStore;

    fn record(id: i128) -> Record {
        Record {
            id: Id(id),
            data: [("user".to_owned(), serde_json::json!(7))].into(),
            expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1),
        }
    }

    #[tokio::test]
    async fn the_inner_store_never_sees_the_cookie_id() {
        let inner = MemoryStore::default();
        let store = HashedStore::new(inner.clone(), b"k");
        let mut rec = record(42);
        store.create(&mut rec).await.unwrap();

        assert!(
            inner.load(&Id(42)).await.unwrap().is_none(),
            "raw id must not be a key"
        );
        let stored = inner
            .load(&store.storage_id(&Id(42)))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(stored.id, Id(42));

        let loaded = store.load(&Id(42)).await.unwrap().unwrap();
        assert_eq!(loaded.id, Id(42), "callers get their own id back");
        assert_eq!(loaded.data["user"], 7);

        store.delete(&Id(42)).await.unwrap();
        assert!(store.load(&Id(42)).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_users_epoch_a_load_adds_is_never_stored() {
        let inner = MemoryStore::default();
        let store = HashedStore::new(inner.clone(), b"k");
        let mut rec = record(42);
        rec.data
            .insert(USERS_EPOCH_FIELD.to_owned(), serde_json::json!(9));
        store.create(&mut rec).await.unwrap();
        store.save(&rec).await.unwrap();

        let stored = inner
            .load(&store.storage_id(&Id(42)))
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.data.contains_key(USERS_EPOCH_FIELD));
        assert_eq!(stored.data["user"], 7, "the rest is kept");
    }

    #[test]
    fn the_storage_id_is_the_hmac_of_the_cookie_id() {
        // Sessions already stored must keep their keys across upgrades: the id is the first
        // 16 bytes of HMAC-SHA256(key, id as little-endian bytes), however it is computed.
        let store = HashedStore::new(MemoryStore::default(), b"key");
        let id = Id(0x0123_4567_89ab_cdef_0011_2233_4455_6677);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(&id.0.to_le_bytes());
        let digest = mac.finalize().into_bytes();
        let expected = i128::from_le_bytes(digest[..16].try_into().unwrap());

        assert_eq!(store.storage_id(&id), Id(expected));
        assert_eq!(store.storage_id(&id), store.storage_id(&id));
    }

    #[test]
    fn the_hash_depends_on_the_key() {
        let a = HashedStore::new(MemoryStore::default(), b"one");
        let b = HashedStore::new(MemoryStore::default(), b"two");
        assert_ne!(a.storage_id(&Id(1)), b.storage_id(&Id(1)));
        assert_eq!(a.storage_id(&Id(1)), a.storage_id(&Id(1)));
    }
}
