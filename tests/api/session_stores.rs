//! The conformance suite every session store passes: the embedded SQL store (on SQLite and on
//! PostgreSQL), the Redis store, and the keyed-hashing store the app runs, in front of either.
//! Create, load, save, delete, expiry, an unknown id, a taken id, and a save after a delete,
//! which must not bring the session back, even when they race (SECURITY S4, S11). Plus the stored bytes, pinned.

use std::time::Duration;

use gatehouse::server::{
    db::Db,
    sessions::store::{Backend, USERS_EPOCH_FIELD, codec},
};
use serde_json::json;
use time::OffsetDateTime;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
};

use crate::common::{Database, Sessions, TestApp};

on_every_backend!(
    the_raw_store_conforms,
    the_hashing_store_conforms,
    the_stored_bytes_are_the_documented_encoding,
);

fn record(data: serde_json::Value, lifetime: time::Duration) -> Record {
    let serde_json::Value::Object(map) = data else {
        panic!("an object")
    };
    Record {
        id: Id::default(),
        data: map.into_iter().collect(),
        expiry_date: OffsetDateTime::now_utc() + lifetime,
    }
}

/// The record without the users epoch a load adds.
fn stored_data(mut loaded: Record) -> Record {
    loaded.data.remove(USERS_EPOCH_FIELD);
    loaded
}

/// Runs every rule against one store.
async fn conforms(store: &impl SessionStore) {
    let hour = time::Duration::hours(1);

    // Create, then load: the same data and expiry (to the second) under the id create chose.
    let mut first = record(json!({"auth": {"user_id": 7}, "n": 1}), hour);
    store.create(&mut first).await.unwrap();
    let loaded = stored_data(
        store
            .load(&first.id)
            .await
            .unwrap()
            .expect("created, so loads"),
    );
    assert_eq!(loaded.id, first.id);
    assert_eq!(loaded.data, first.data);
    assert_eq!(
        loaded.expiry_date.unix_timestamp(),
        first.expiry_date.unix_timestamp()
    );

    // Save replaces the data and the expiry.
    let mut changed = first.clone();
    changed.data.insert("n".into(), json!(2));
    changed.expiry_date += time::Duration::minutes(5);
    store.save(&changed).await.unwrap();
    let loaded = stored_data(
        store
            .load(&first.id)
            .await
            .unwrap()
            .expect("saved, so loads"),
    );
    assert_eq!(loaded.data["n"], 2);
    assert_eq!(
        loaded.expiry_date.unix_timestamp(),
        changed.expiry_date.unix_timestamp()
    );

    // A taken id is never overwritten by create: the newcomer gets another id.
    let mut clash = record(json!({"other": true}), hour);
    clash.id = first.id;
    store.create(&mut clash).await.unwrap();
    assert_ne!(clash.id, first.id, "create must not reuse a taken id");
    let still = stored_data(store.load(&first.id).await.unwrap().unwrap());
    assert_eq!(still.data["n"], 2, "the first record is untouched");
    let newcomer = stored_data(store.load(&clash.id).await.unwrap().unwrap());
    assert_eq!(newcomer.data["other"], true);

    // Delete, then load: gone. A save of the copy a request still holds does not bring it back.
    store.delete(&first.id).await.unwrap();
    assert!(store.load(&first.id).await.unwrap().is_none());
    store.save(&changed).await.unwrap();
    assert!(
        store.load(&first.id).await.unwrap().is_none(),
        "a save after a delete resurrected the session"
    );

    // Saves racing a delete (requests still in flight when their session ends) never bring the
    // record back, whichever runs first (SECURITY S11).
    for round in 0..10 {
        let mut raced = record(json!({"auth": {"user_id": 9}, "round": round}), hour);
        store.create(&mut raced).await.unwrap();
        let saves = (0..8).map(|_| store.save(&raced));
        let (deleted, saved) = tokio::join!(
            async {
                // Let some saves start first.
                tokio::task::yield_now().await;
                store.delete(&raced.id).await
            },
            futures::future::join_all(saves)
        );
        deleted.unwrap();
        for result in saved {
            result.unwrap();
        }
        assert!(
            store.load(&raced.id).await.unwrap().is_none(),
            "round {round}: a save racing the delete resurrected the session"
        );
    }

    // An unknown id loads nothing, and deleting it is not an error.
    let unknown = Id::default();
    assert!(store.load(&unknown).await.unwrap().is_none());
    store.delete(&unknown).await.unwrap();
    // Nor does saving one create it.
    let mut stray = record(json!({"stray": true}), hour);
    stray.id = unknown;
    store.save(&stray).await.unwrap();
    assert!(store.load(&unknown).await.unwrap().is_none());

    // Expiry: a record past its expiry never loads, whether or not the store has swept it.
    let mut brief = record(json!({"brief": true}), time::Duration::seconds(1));
    store.create(&mut brief).await.unwrap();
    assert!(store.load(&brief.id).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(
        store.load(&brief.id).await.unwrap().is_none(),
        "an expired record loaded"
    );
    // And a save cannot revive it.
    store.save(&brief).await.unwrap();
    assert!(store.load(&brief.id).await.unwrap().is_none());

    store.delete(&clash.id).await.unwrap();
}

pub(crate) async fn the_raw_store_conforms(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let backend = app.state.sessions.inner();
    assert_eq!(
        backend.name(),
        match sessions {
            Sessions::Embedded => "embedded",
            Sessions::Redis => "redis",
        }
    );
    conforms(backend).await;

    // Every load brings the users epoch with it, in the same round trip.
    let mut rec = record(json!({"x": 1}), time::Duration::hours(1));
    backend.create(&mut rec).await.unwrap();
    let loaded = backend.load(&rec.id).await.unwrap().unwrap();
    assert!(loaded.data[USERS_EPOCH_FIELD].is_i64());
}

pub(crate) async fn the_hashing_store_conforms(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    conforms(&app.state.sessions).await;
}

pub(crate) async fn the_stored_bytes_are_the_documented_encoding(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let backend = app.state.sessions.inner();
    let mut rec = record(json!({"auth": {"user_id": 3}}), time::Duration::hours(1));
    backend.create(&mut rec).await.unwrap();

    let stored: Vec<u8> = match backend {
        Backend::Redis(store) => {
            use fred::interfaces::KeysInterface;
            let key = store.key(&rec.id);
            assert!(key.ends_with(&format!("session:{}", rec.id)), "{key}");
            store.pool().get(key).await.unwrap()
        }
        Backend::Sql(_) => {
            let sql = "SELECT data FROM session_records WHERE id = $1";
            let id = rec.id.to_string();
            match &app.state.db {
                Db::Sqlite(pool) => sqlx::query_scalar(sql)
                    .bind(&id)
                    .fetch_one(pool)
                    .await
                    .unwrap(),
                Db::Postgres(pool) => sqlx::query_scalar(sql)
                    .bind(&id)
                    .fetch_one(pool)
                    .await
                    .unwrap(),
            }
        }
    };
    let expected = format!(
        r#"{{"v":1,"expires":{},"data":{{"auth":{{"user_id":3}}}}}}"#,
        rec.expiry_date.unix_timestamp()
    );
    assert_eq!(String::from_utf8(stored.clone()).unwrap(), expected);
    assert_eq!(stored, codec::encode(&rec).unwrap());
}
