//! Redis Cluster and Sentinel (issue 20), each started for the test from Debian's redis-server
//! (`common::topology`): the session, throttle and revocation suites on a 3-master, 3-replica
//! cluster; a cluster master killed under load; a Sentinel master killed under load; three
//! instances behind a round-robin balancer on the cluster, where a revocation, a role change
//! and a disable made on one hold at the next request on all of them, under load. During a
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
    Database, PASSWORD, Sessions, Spawn, TestApp,
    balancer::Balancer,
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

/// A request through the balancer with `client` (which opens a connection per request).
async fn through(
    lb: &Balancer,
    client: &reqwest::Client,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> StatusCode {
    let mut request = client.request(method, lb.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request sent").status()
}

/// Signs up through the balancer; the account's id.
async fn sign_up_through(lb: &Balancer, client: &reqwest::Client) -> i64 {
    let email = crate::common::unique_email();
    let body = serde_json::json!({"email": email, "password": PASSWORD, "name": "Someone"});
    let created: serde_json::Value = client
        .post(lb.url("/api/auth/signup"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["id"].as_i64().expect("signed up")
}

/// The same request three times in a row: the balancer sends each to another instance.
async fn on_every_instance(lb: &Balancer, client: &reqwest::Client, path: &str) -> Vec<StatusCode> {
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(through(lb, client, reqwest::Method::GET, path, None).await);
    }
    seen
}

#[tokio::test]
async fn three_instances_behind_a_balancer_hold_every_change_at_once_under_load() {
    use reqwest::Method;
    let cluster = Cluster::start();
    let spawn =
        || Spawn::new(Database::Postgres, Sessions::Embedded).setting("redis_url", cluster.url());
    let (a, admin_email) = TestApp::spawn_with_admin(spawn()).await;
    let mut instances = vec![a];
    for _ in 0..2 {
        let mut next = spawn().setting("admin_emails", admin_email.clone());
        next.database_url = Some(instances[0].database_url.clone());
        instances.push(TestApp::spawn_with(next).await);
    }
    let lb = Balancer::start(instances.iter().map(|app| app.addr).collect()).await;
    let admin = lb.client();
    let signed_in = admin
        .post(lb.url("/api/auth/login"))
        .json(&serde_json::json!({"email": admin_email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);

    // Others keep every instance busy meanwhile.
    let mut busy = Vec::new();
    for _ in 0..6 {
        let client = lb.client();
        sign_up_through(&lb, &client).await;
        busy.push(client);
    }
    let stop = AtomicBool::new(false);
    let background = async {
        let mut seen = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            let round = busy
                .iter()
                .map(|client| through(&lb, client, Method::GET, "/api/users/me", None));
            seen.extend(futures::future::join_all(round).await);
        }
        seen
    };
    let changes =
        async {
            // Revocation: an admin ends every session of a user on one instance; the next
            // request on each instance is signed out.
            let revoked = lb.client();
            let id = sign_up_through(&lb, &revoked).await;
            assert_eq!(
                on_every_instance(&lb, &revoked, "/api/users/me").await,
                [StatusCode::OK; 3]
            );
            let path = format!("/api/admin/users/{id}/sessions");
            assert_eq!(
                through(&lb, &admin, Method::DELETE, &path, None).await,
                StatusCode::NO_CONTENT
            );
            assert_eq!(
                on_every_instance(&lb, &revoked, "/api/users/me").await,
                [StatusCode::UNAUTHORIZED; 3]
            );

            // A role change: made admin, then not, each seen by every instance at once.
            let promoted = lb.client();
            let id = sign_up_through(&lb, &promoted).await;
            let path = format!("/api/admin/users/{id}");
            for (is_admin, expected) in [(true, StatusCode::OK), (false, StatusCode::FORBIDDEN)] {
                let change = serde_json::json!({ "is_admin": is_admin });
                assert_eq!(
                    through(&lb, &admin, Method::PATCH, &path, Some(change)).await,
                    StatusCode::OK
                );
                assert_eq!(
                    on_every_instance(&lb, &promoted, "/api/admin/audit").await,
                    [expected; 3],
                    "is_admin = {is_admin}"
                );
            }

            // Disabling: refused at the next request wherever it lands, and signed out after.
            let disabled = lb.client();
            let id = sign_up_through(&lb, &disabled).await;
            assert_eq!(
                on_every_instance(&lb, &disabled, "/api/users/me").await,
                [StatusCode::OK; 3]
            );
            let change = serde_json::json!({ "disabled": true });
            let path = format!("/api/admin/users/{id}");
            assert_eq!(
                through(&lb, &admin, Method::PATCH, &path, Some(change)).await,
                StatusCode::OK
            );
            let after = on_every_instance(&lb, &disabled, "/api/users/me").await;
            assert!(
                after.iter().all(|status| *status == StatusCode::FORBIDDEN
                    || *status == StatusCode::UNAUTHORIZED),
                "{after:?}"
            );
            stop.store(true, Ordering::SeqCst);
        };
    let (seen, ()) = tokio::join!(background, changes);
    assert!(seen.len() >= 6, "the others kept the instances busy");
    assert!(
        seen.iter().all(|status| *status == StatusCode::OK),
        "the others were never disturbed"
    );
}

/// A CA and a certificate it signs for `localhost` and 127.0.0.1, made with openssl.
fn certificates(dir: &std::path::Path) {
    let openssl = |args: &[&str]| {
        let done = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Gatehouse test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
}

/// `rediss://` really is TLS, checked against the server's certificate: a Redis that speaks
/// only TLS serves the app when it trusts the server's CA (`redis_tls_ca_file`), and refuses
/// it (503, never 500) when it does not.
#[tokio::test]
async fn rediss_speaks_tls_and_checks_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let port = crate::common::smtp::free_port().port();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let server = std::process::Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .args([
            "--tls-cert-file",
            &path("server.pem"),
            "--tls-key-file",
            &path("server.key"),
        ])
        .args([
            "--tls-ca-cert-file",
            &path("ca.pem"),
            "--tls-auth-clients",
            "no",
        ])
        .args(["--save", "", "--appendonly", "no", "--dir", &path("")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("redis-server starts");
    // Stopped however the test ends.
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Stop(server);
    let ping = || {
        std::process::Command::new("redis-cli")
            .args([
                "--tls",
                "--cacert",
                &path("ca.pem"),
                "-h",
                "localhost",
                "-p",
                &port.to_string(),
                "PING",
            ])
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "PONG")
    };
    assert!(
        eventually(Duration::from_secs(10), ping).await,
        "the TLS Redis answers"
    );

    let url = format!("rediss://localhost:{port}");
    let trusting = TestApp::spawn_with(
        Spawn::new(Database::Sqlite, Sessions::Embedded)
            .setting("redis_url", url.clone())
            .setting("redis_tls_ca_file", path("ca.pem")),
    )
    .await;
    let client = trusting.new_client();
    trusting.sign_up(&client).await;
    assert_eq!(trusting.me_status(&client).await, StatusCode::OK);

    // The system's roots do not include the test CA: the handshake fails, the store is away.
    let doubting = TestApp::spawn_with(
        Spawn::new(Database::Sqlite, Sessions::Embedded).setting("redis_url", url),
    )
    .await;
    let response = doubting
        .post_json(
            &doubting.new_client(),
            "/api/auth/signup",
            serde_json::json!({"email": crate::common::unique_email(), "password": PASSWORD, "name": "X"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}
