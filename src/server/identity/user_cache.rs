//! Each instance's copy of the users rows that signed-in requests need, so that an authenticated
//! read costs one session-store round trip and no SQL.
//!
//! # Security
//! A cached row is used only while the *users epoch* read with the request's own session (same
//! round trip, see [`Backend`](crate::server::sessions::store::Backend)) equals the epoch the row was cached
//! under. Every write to a user row is announced after it commits
//! ([`Changed`](super::users::Changed)), which replaces the epoch, so the next request on any
//! instance reads the row again: disabling, demoting and password changes still hold on the
//! very next request everywhere (SECURITY S7). An entry is also never used for longer than
//! [`MAX_AGE`], which bounds how long a change made behind the app's back (by hand in SQL, or
//! one whose announcement failed) can go unseen.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::users::User;

/// The longest a cached row is trusted, however quiet the epoch.
pub const MAX_AGE: Duration = Duration::from_secs(5);

/// How many users one instance keeps; when full, the cache starts over.
const CAPACITY: usize = 10_000;

struct Entry {
    epoch: i64,
    cached_at: Instant,
    user: Arc<User>,
}

/// Users by id, each tagged with the epoch it was read under.
#[derive(Default)]
pub struct UserCache {
    entries: Mutex<HashMap<i64, Entry>>,
}

impl std::fmt::Debug for UserCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCache").finish_non_exhaustive()
    }
}

impl UserCache {
    /// The user `id` as cached under `epoch`, if that is the epoch it was read under and the
    /// copy is younger than [`MAX_AGE`].
    pub fn get(&self, id: i64, epoch: i64) -> Option<Arc<User>> {
        self.get_at(id, epoch, Instant::now())
    }

    fn get_at(&self, id: i64, epoch: i64, now: Instant) -> Option<Arc<User>> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = entries.get(&id)?;
        (entry.epoch == epoch && now.duration_since(entry.cached_at) < MAX_AGE)
            .then(|| entry.user.clone())
    }

    /// Keeps `user`, read from SQL after the request learnt `epoch` (never before: a row read
    /// before the epoch could predate a change the epoch already announces).
    pub fn put(&self, epoch: i64, user: Arc<User>) {
        self.put_at(epoch, user, Instant::now());
    }

    fn put_at(&self, epoch: i64, user: Arc<User>, now: Instant) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= CAPACITY && !entries.contains_key(&user.id) {
            entries.clear();
        }
        entries.insert(
            user.id,
            Entry {
                epoch,
                cached_at: now,
                user,
            },
        );
    }

    /// Drops `id`, for a user found gone or disabled.
    pub fn forget(&self, id: i64) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.remove(&id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, name: &str) -> Arc<User> {
        Arc::new(User::for_tests(id, name))
    }

    #[test]
    fn a_user_is_served_only_under_the_epoch_it_was_read_under() {
        let cache = UserCache::default();
        cache.put(7, user(1, "Ada"));
        assert_eq!(cache.get(1, 7).unwrap().name, "Ada");
        assert!(
            cache.get(1, 8).is_none(),
            "another epoch means a user changed"
        );
        assert!(cache.get(2, 7).is_none());
    }

    #[test]
    fn a_copy_older_than_the_maximum_age_is_not_used() {
        let cache = UserCache::default();
        let then = Instant::now();
        cache.put_at(7, user(1, "Ada"), then);
        assert!(
            cache
                .get_at(1, 7, then + MAX_AGE - Duration::from_millis(1))
                .is_some()
        );
        assert!(cache.get_at(1, 7, then + MAX_AGE).is_none());
    }

    #[test]
    fn a_newer_read_replaces_the_old_and_forget_drops_it() {
        let cache = UserCache::default();
        cache.put(7, user(1, "Ada"));
        cache.put(8, user(1, "Ada Lovelace"));
        assert!(cache.get(1, 7).is_none());
        assert_eq!(cache.get(1, 8).unwrap().name, "Ada Lovelace");
        cache.forget(1);
        assert!(cache.get(1, 8).is_none());
    }

    #[test]
    fn the_cache_never_grows_past_its_capacity() {
        let cache = UserCache::default();
        for id in 0..CAPACITY as i64 + 5 {
            cache.put(1, user(id, "x"));
        }
        assert!(cache.len() <= CAPACITY);
        assert!(
            cache.get(CAPACITY as i64 + 4, 1).is_some(),
            "the newest is kept"
        );
    }
}
