//! Real Redis topologies for the tests, from Debian's `redis-server` on free loopback ports:
//! a Redis Cluster (three masters, three replicas) and Sentinel (a master, a replica and three
//! sentinels). Each test starts its own, so a test may kill a node; every process stops when
//! its handle is dropped (and, should the test process die, with it).
//!
//! `redis_url()` answers a topology's URL inside [`with_redis_url`], so the suites written for
//! one Redis run unchanged on a cluster.

use std::{
    cell::RefCell,
    os::unix::process::CommandExt,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use super::smtp::free_port;

thread_local! {
    static REDIS_URL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The URL `redis_url()` answers on this thread, if a topology test set one.
pub fn redis_url_override() -> Option<String> {
    REDIS_URL.with(|url| url.borrow().clone())
}

/// Runs `body` with `redis_url()` answering `url` (the tests' apps run on the test's thread).
pub async fn with_redis_url<F: Future<Output = ()>>(url: String, body: F) {
    REDIS_URL.with(|slot| *slot.borrow_mut() = Some(url));
    body.await;
    REDIS_URL.with(|slot| *slot.borrow_mut() = None);
}

/// One `redis-server` (or sentinel) process.
pub struct Node {
    pub port: u16,
    child: Option<Child>,
}

impl Node {
    fn start(dir: &Path, port: u16, args: &[String]) -> Node {
        let mut command = Command::new("redis-server");
        command
            .args(args)
            .args([
                "--port".to_owned(),
                port.to_string(),
                "--bind".into(),
                "127.0.0.1".into(),
                "--save".into(),
                String::new(),
                "--appendonly".into(),
                "no".into(),
                "--dir".into(),
                dir.display().to_string(),
                "--logfile".into(),
                dir.join(format!("{port}.log")).display().to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Gone with the test process, however it ends.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .expect("redis-server starts (Debian's redis-server)");
        let node = Node {
            port,
            child: Some(child),
        };
        wait_until(Duration::from_secs(10), || {
            cli(port, &["PING"]).is_ok_and(|out| out.trim() == "PONG")
        })
        .unwrap_or_else(|| panic!("redis-server on {port} did not answer"));
        node
    }

    /// Kills the process at once (SIGKILL): a crash, not a shutdown.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `redis-cli -p port args…`: its output, or why it failed.
pub fn cli(port: u16, args: &[&str]) -> Result<String, String> {
    let output = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .map_err(|err| err.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> Option<()> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if ready() {
            return Some(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// Waits for `ready` without blocking the test's thread (where its apps run).
pub async fn eventually(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if ready() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

fn port() -> u16 {
    free_port().port()
}

/// Redis Cluster: three masters, each with one replica, slots spread over the masters.
pub struct Cluster {
    pub nodes: Vec<Node>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    pub fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let nodes: Vec<Node> = (0..6)
            .map(|_| {
                let (port, bus) = (port(), port());
                Node::start(
                    dir.path(),
                    port,
                    &[
                        "--cluster-enabled".into(),
                        "yes".into(),
                        "--cluster-port".into(),
                        bus.to_string(),
                        "--cluster-config-file".into(),
                        format!("nodes-{port}.conf"),
                        // Quick failover for the tests: a master is failed after one second.
                        "--cluster-node-timeout".into(),
                        "1000".into(),
                        "--cluster-replica-validity-factor".into(),
                        "0".into(),
                    ],
                )
            })
            .collect();
        let addresses: Vec<String> = nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect();
        let mut create = vec!["--cluster", "create"];
        create.extend(addresses.iter().map(String::as_str));
        create.extend(["--cluster-replicas", "1", "--cluster-yes"]);
        cli(nodes[0].port, &create).expect("redis-cli --cluster create");
        let cluster = Cluster { nodes, _dir: dir };
        wait_until(Duration::from_secs(20), || cluster.is_healthy()).expect("the cluster comes up");
        cluster
    }

    /// `redis-cluster://` naming every node.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect();
        format!("redis-cluster://{}", hosts.join(","))
    }

    /// Every running node sees every slot served and three masters up.
    pub fn is_healthy(&self) -> bool {
        self.nodes
            .iter()
            .filter(|node| node.is_running())
            .all(|node| {
                cli(node.port, &["CLUSTER", "INFO"]).is_ok_and(|info| {
                    info.contains("cluster_state:ok") && info.contains("cluster_slots_ok:16384")
                })
            })
            && self.masters().len() == 3
    }

    /// The running nodes that are masters now.
    pub fn masters(&self) -> Vec<usize> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.is_running())
            .filter(|(_, node)| {
                cli(node.port, &["ROLE"]).is_ok_and(|role| role.starts_with("master"))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Whether every running replica has received all its master has written.
    pub fn replicated(&self) -> bool {
        self.masters().iter().all(|&master| {
            let info = cli(self.nodes[master].port, &["INFO", "replication"]).unwrap_or_default();
            let offset = field(&info, "master_repl_offset");
            info.lines()
                .filter(|line| line.starts_with("slave"))
                .all(|line| line.contains(&format!("offset={offset},")))
                && info.contains("connected_slaves:1")
        })
    }
}

/// `name:value` from an `INFO` answer.
fn field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Sentinel: a master, one replica, and three sentinels watching them (quorum two).
pub struct Sentinels {
    pub data: Vec<Node>,
    pub sentinels: Vec<Node>,
    pub service: String,
    _dir: tempfile::TempDir,
}

impl Sentinels {
    pub fn start() -> Sentinels {
        let dir = tempfile::tempdir().unwrap();
        let service = "gatehouse".to_owned();
        let master = Node::start(dir.path(), port(), &[]);
        let replica = Node::start(
            dir.path(),
            port(),
            &[
                "--replicaof".into(),
                "127.0.0.1".into(),
                master.port.to_string(),
            ],
        );
        let sentinels = (0..3)
            .map(|i| {
                let port = port();
                // A sentinel rewrites its configuration file: one each, in the test's folder.
                let conf = dir.path().join(format!("sentinel-{i}.conf"));
                std::fs::write(
                    &conf,
                    format!(
                        "sentinel monitor {service} 127.0.0.1 {} 2\n\
                         sentinel down-after-milliseconds {service} 1000\n\
                         sentinel failover-timeout {service} 5000\n\
                         sentinel parallel-syncs {service} 1\n",
                        master.port
                    ),
                )
                .unwrap();
                Node::start(
                    dir.path(),
                    port,
                    &[conf.display().to_string(), "--sentinel".into()],
                )
            })
            .collect::<Vec<_>>();
        let group = Sentinels {
            data: vec![master, replica],
            sentinels,
            service,
            _dir: dir,
        };
        // Each sentinel knows the replica and the two other sentinels.
        wait_until(Duration::from_secs(30), || {
            group.sentinels.iter().all(|sentinel| {
                cli(sentinel.port, &["SENTINEL", "MASTER", &group.service]).is_ok_and(|info| {
                    info.contains("num-slaves\n1\n") && info.contains("num-other-sentinels\n2\n")
                })
            })
        })
        .expect("the sentinels find each other and the replica");
        group
    }

    /// `redis-sentinel://` naming the three sentinels and the service.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinels
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect();
        format!("redis-sentinel://{}/{}", hosts.join(","), self.service)
    }

    /// The port the sentinels name as the master now.
    pub fn master_port(&self) -> Option<u16> {
        let sentinel = self.sentinels.iter().find(|node| node.is_running())?;
        let answer = cli(
            sentinel.port,
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", &self.service],
        )
        .ok()?;
        answer.lines().nth(1)?.trim().parse().ok()
    }

    /// Kills the current master's process.
    pub fn kill_master(&mut self) -> u16 {
        let port = self.master_port().expect("a master");
        let node = self
            .data
            .iter_mut()
            .find(|node| node.port == port)
            .expect("the master is one of ours");
        node.kill();
        port
    }

    /// Whether the replica has received all the master has written.
    pub fn replicated(&self) -> bool {
        let Some(port) = self.master_port() else {
            return false;
        };
        let info = cli(port, &["INFO", "replication"]).unwrap_or_default();
        let offset = field(&info, "master_repl_offset");
        info.contains("connected_slaves:1")
            && info
                .lines()
                .filter(|line| line.starts_with("slave"))
                .all(|line| line.contains(&format!("offset={offset},")))
    }
}
