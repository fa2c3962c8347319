//! Redis Cluster and Sentinel (issue 20), each started for the test from Debian's redis-server
//! (`common::topology`): the session, throttle and revocation suites on a 3-master, 3-replica
//! cluster; a cluster master killed under load; a Sentinel master killed under load. During a
//! failover a request answers 503 or succeeds, never 500; afterwards the same server serves
//! again without a restart, and no session written (and replicated) before it is lost.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use reqwest::StatusCode;

use crate::common::{
    Database, Sessions, Spawn, TestApp,
    topology::{Cluster, Sentinels, cli, eventually, with_redis_url},
};

#[tokio::test]
async fn the_session_throttle_and_revocation_suites_pass_on_a_cluster() {
    let cluster = Cluster::start();
    with_redis_url(cluster.url(), async {
        let (db, redis) = (Database::Sqlite, Sessions::Redis);
        crate::session_stores::the_raw_store_conforms(db, redis).await;
        crate::session_stores::the_hashing_store_conforms(db, redis).await;
        crate::session_stores::the_stored_bytes_are_the_documented_encoding(db, redis).await;
        crate::sessions::sessions_are_listed_with_this_one_marked(db, redis).await;
        crate::sessions::ending_one_session_signs_that_browser_out_only(db, redis).await;
        crate::sessions::ending_every_other_session_keeps_this_one(db, redis).await;
        crate::sessions::the_session_cap_ends_the_oldest(db, redis).await;
        crate::sessions::signing_in_again_replaces_this_browsers_session(db, redis).await;
        crate::auth::log_out_deletes_the_session_and_a_replayed_cookie_gets_401(db, redis).await;
        crate::auth::changing_the_password_ends_other_sessions(db, redis).await;
        crate::races::a_request_in_flight_never_revives_its_ended_session(db, redis).await;
        crate::races::parallel_requests_after_a_role_change_rotate_the_session_once(db, redis)
            .await;
        crate::multi_instance::a_session_and_every_change_to_it_hold_on_both_instances(db, redis)
            .await;
        crate::multi_instance::a_change_to_a_user_holds_on_the_next_request_on_the_other_instance(
            db, redis,
        )
        .await;
        crate::multi_instance::a_user_is_read_from_sql_only_when_the_users_epoch_changes(db, redis)
            .await;
        crate::throttling::parallel_wrong_guesses_get_no_more_tries_than_the_limit(db, redis).await;
        crate::throttling::sign_ups_are_throttled_per_address_even_in_parallel(db, redis).await;
        crate::throttling::the_owners_browser_signs_in_while_strangers_guesses_lock_the_account(
            db, redis,
        )
        .await;
    })
    .await;
    // The hash tags spread the keys over every master.
    for master in cluster.masters() {
        let keys: u64 = cli(cluster.nodes[master].port, &["DBSIZE"])
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(keys > 0, "master {master} holds no key");
    }
}

/// Reads `/api/users/me` with every client, round after round, until `stop`; every status seen.
async fn load(app: &TestApp, clients: &[reqwest::Client], stop: &AtomicBool) -> Vec<StatusCode> {
    let mut seen = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let round = clients.iter().map(|client| app.me_status(client));
        seen.extend(futures::future::join_all(round).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    seen
}

/// Signs up `n` accounts, each on its own client (their sessions land on every shard).
async fn signed_in(app: &TestApp, n: usize) -> Vec<reqwest::Client> {
    let mut clients = Vec::new();
    for _ in 0..n {
        let client = app.new_client();
        app.sign_up(&client).await;
        clients.push(client);
    }
    clients
}

async fn all_signed_in(app: &TestApp, clients: &[reqwest::Client]) -> bool {
    futures::future::join_all(clients.iter().map(|client| app.me_status(client)))
        .await
        .iter()
        .all(|status| *status == StatusCode::OK)
}

/// After a failover: 200 for every session again, within `limit`, with no restart.
async fn recovers(app: &TestApp, clients: &[reqwest::Client], limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if all_signed_in(app, clients).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

fn only_ok_or_unavailable(seen: &[StatusCode]) {
    let count = |wanted: StatusCode| seen.iter().filter(|status| **status == wanted).count();
    eprintln!(
        "during the failover: {} answers, {} x 200, {} x 503",
        seen.len(),
        count(StatusCode::OK),
        count(StatusCode::SERVICE_UNAVAILABLE)
    );
    let other: Vec<_> = seen
        .iter()
        .filter(|status| **status != StatusCode::OK && **status != StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        other.is_empty(),
        "only 200 or 503 during a failover: {other:?}"
    );
}

#[tokio::test]
async fn a_cluster_master_killed_under_load_fails_over_without_a_restart() {
    let mut cluster = Cluster::start();
    let app = TestApp::spawn_with(
        Spawn::new(Database::Sqlite, Sessions::Embedded).setting("redis_url", cluster.url()),
    )
    .await;
    let clients = signed_in(&app, 12).await;
    assert!(
        eventually(Duration::from_secs(10), || cluster.replicated()).await,
        "the sessions reach the replicas"
    );

    let stop = AtomicBool::new(false);
    let victim = cluster.masters()[0];
    let chaos = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cluster.nodes[victim].kill();
        // A replica takes over once the others count the master as failed.
        let promoted = eventually(Duration::from_secs(30), || cluster.is_healthy()).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.store(true, Ordering::SeqCst);
        promoted
    };
    let (seen, promoted) = tokio::join!(load(&app, &clients, &stop), chaos);
    assert!(promoted, "a replica is promoted");
    assert!(!seen.is_empty());
    only_ok_or_unavailable(&seen);
    assert!(
        recovers(&app, &clients, Duration::from_secs(20)).await,
        "every session written before the failover signs in again, without a restart"
    );
}

#[tokio::test]
async fn a_sentinel_master_killed_under_load_is_followed_to_the_new_one() {
    let mut group = Sentinels::start();
    let app = TestApp::spawn_with(
        Spawn::new(Database::Sqlite, Sessions::Embedded).setting("redis_url", group.url()),
    )
    .await;
    let clients = signed_in(&app, 6).await;
    assert!(
        eventually(Duration::from_secs(10), || group.replicated()).await,
        "the sessions reach the replica"
    );
    let first = group.master_port().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let chaos = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        group.kill_master();
        let moved = eventually(Duration::from_secs(30), || {
            group.master_port().is_some_and(|port| port != first)
        })
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.store(true, Ordering::SeqCst);
        moved
    };
    let (seen, moved) = tokio::join!(load(&app, &clients, &stop), chaos);
    assert!(moved, "the sentinels promote the replica");
    only_ok_or_unavailable(&seen);
    assert!(
        recovers(&app, &clients, Duration::from_secs(20)).await,
        "the server follows the new master within seconds, without a restart"
    );
    // New sessions are written to the new master.
    let late = app.new_client();
    app.sign_up(&late).await;
    assert_eq!(app.me_status(&late).await, StatusCode::OK);
}
