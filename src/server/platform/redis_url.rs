//! `redis_url`: one URL names the Redis topology.
//!
//! - `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS): one server.
//! - `redis-cluster://[user:password@]host:port,host:port,…`, `rediss-cluster://…`: Redis
//!   Cluster (ElastiCache or MemoryDB in cluster mode, say); any reachable node is enough, the
//!   rest are discovered.
//! - `redis-sentinel://[user:password@]host:port,host:port,…/service_name[?db=N]`,
//!   `rediss-sentinel://…`: the master that these sentinels name for `service_name`, followed
//!   through failovers. The credentials are the data nodes'.

use std::{fmt, path::Path, sync::Arc};

use fred::types::config::{Config, ServerConfig, TlsConnector};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, pem::PemObject};

/// How Redis is deployed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Topology {
    Single,
    Cluster,
    Sentinel { service: String },
}

/// A parsed `redis_url`.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    pub topology: Topology,
    pub tls: bool,
    /// `user:password@`, as written (percent-encoded), or empty.
    userinfo: String,
    pub hosts: Vec<(String, u16)>,
    db: Option<u8>,
    /// A single server's URL, as given.
    single: String,
}

impl fmt::Debug for RedisUrl {
    /// Never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisUrl")
            .field("topology", &self.topology)
            .field("tls", &self.tls)
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

/// Splits `host[:port]` (`[v6]:port` too), with `default` for a missing port.
fn host_port(text: &str, default: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{text:?} is not host:port"))?;
        (host.to_owned(), after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (text.to_owned(), None),
        }
    };
    if host.is_empty() {
        return Err(format!("{text:?} names no host"));
    }
    let port = match port {
        Some(port) => port
            .parse()
            .map_err(|_| format!("{text:?} has no valid port"))?,
        None => default,
    };
    Ok((host, port))
}

/// Reads `redis_url`; the error says what is wrong, never the password.
pub fn parse(url: &str) -> Result<RedisUrl, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("must start with redis://, rediss://, redis-cluster:// or redis-sentinel://")?;
    let (tls, topology_name) = match scheme {
        "redis" => (false, "single"),
        "rediss" => (true, "single"),
        "redis-cluster" => (false, "cluster"),
        "rediss-cluster" => (true, "cluster"),
        "redis-sentinel" => (false, "sentinel"),
        "rediss-sentinel" => (true, "sentinel"),
        _ => {
            return Err(
                "must start with redis://, rediss://, redis-cluster://, rediss-cluster://, \
                 redis-sentinel:// or rediss-sentinel://"
                    .into(),
            );
        }
    };
    if topology_name == "single" {
        let parsed = url::Url::parse(url).map_err(|_| "is not a valid URL".to_owned())?;
        let host = parsed.host_str().ok_or("names no host")?;
        return Ok(RedisUrl {
            topology: Topology::Single,
            tls,
            userinfo: String::new(),
            hosts: vec![(host.to_owned(), parsed.port().unwrap_or(6379))],
            db: None,
            // Read as plain `redis://`: TLS is set up here, not by fred (see `tls`).
            single: format!("redis://{rest}"),
        });
    }
    let (userinfo, rest) = match rest.rsplit_once('@') {
        Some((userinfo, rest)) => (format!("{userinfo}@"), rest),
        None => (String::new(), rest),
    };
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (hosts, path) = rest.split_once('/').unwrap_or((rest, ""));
    let default_port = if topology_name == "cluster" {
        6379
    } else {
        26379
    };
    let hosts = hosts
        .split(',')
        .filter(|host| !host.is_empty())
        .map(|host| host_port(host, default_port))
        .collect::<Result<Vec<_>, _>>()?;
    if hosts.is_empty() {
        return Err("names no host".into());
    }
    let mut db = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        match pair.split_once('=') {
            Some(("db", value)) if topology_name == "sentinel" => {
                db = Some(value.parse().map_err(|_| "db must be a number")?);
            }
            _ => return Err(format!("does not take the query parameter {pair:?}")),
        }
    }
    let topology = if topology_name == "cluster" {
        if !path.is_empty() {
            return Err("a cluster has no database or service name after the hosts".into());
        }
        Topology::Cluster
    } else {
        if path.is_empty() || path.contains('/') {
            return Err(
                "must name the sentinels' service after the hosts: redis-sentinel://h:26379,…/mymaster"
                    .into(),
            );
        }
        Topology::Sentinel {
            service: path.to_owned(),
        }
    };
    Ok(RedisUrl {
        topology,
        tls,
        userinfo,
        hosts,
        db,
        single: String::new(),
    })
}

impl RedisUrl {
    /// fred's configuration for this topology; with TLS, trusting the certificate authorities
    /// in `ca_file` (PEM), or the system's roots.
    pub fn config(&self, ca_file: Option<&Path>) -> Result<Config, String> {
        let mut config = self.topology_config()?;
        if self.tls {
            config.tls = Some(tls(ca_file)?.into());
        }
        Ok(config)
    }

    fn topology_config(&self) -> Result<Config, String> {
        let bad = |err: fred::error::Error| format!("redis_url: {err}");
        if self.topology == Topology::Single {
            return Config::from_url(&self.single).map_err(bad);
        }
        // Credentials and TLS as fred reads them from a one-server URL of the first host…
        let (host, port) = &self.hosts[0];
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let db = self.db.map(|db| format!("/{db}")).unwrap_or_default();
        let mut config = Config::from_url(&format!("redis://{}{host}:{port}{db}", self.userinfo))
            .map_err(bad)?;
        // …and every host given, in the topology's terms.
        config.server = match &self.topology {
            Topology::Cluster => ServerConfig::new_clustered(self.hosts.clone()),
            Topology::Sentinel { service } => {
                ServerConfig::new_sentinel(self.hosts.clone(), service.clone())
            }
            Topology::Single => unreachable!("handled above"),
        };
        Ok(config)
    }
}

/// TLS for `rediss`: rustls with the ring provider named here (not a process-wide default), the
/// safe protocol versions, and the roots from `ca_file` or the system.
fn tls(ca_file: Option<&Path>) -> Result<TlsConnector, String> {
    let mut roots = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|err| format!("redis_tls_ca_file {}: {err}", path.display()))?;
            for cert in certs {
                let cert =
                    cert.map_err(|err| format!("redis_tls_ca_file {}: {err}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|err| format!("redis_tls_ca_file {}: {err}", path.display()))?;
            }
            if roots.is_empty() {
                return Err(format!(
                    "redis_tls_ca_file {} holds no certificate",
                    path.display()
                ));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                // A system root that rustls cannot use is skipped, as browsers do.
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("Redis TLS: {err}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_names_each_topology() {
        let single = parse("redis://127.0.0.1:6379/2").unwrap();
        assert_eq!(single.topology, Topology::Single);
        assert!(!single.tls);
        assert!(parse("rediss://cache.example.com").unwrap().tls);

        let cluster = parse("redis-cluster://:secret@10.0.0.1:7000,10.0.0.2,[::1]:7002").unwrap();
        assert_eq!(cluster.topology, Topology::Cluster);
        assert_eq!(
            cluster.hosts,
            [
                ("10.0.0.1".to_owned(), 7000),
                ("10.0.0.2".to_owned(), 6379),
                ("::1".to_owned(), 7002)
            ]
        );
        let config = cluster.config(None).unwrap();
        assert_eq!(config.password.as_deref(), Some("secret"));
        assert!(
            matches!(config.server, ServerConfig::Clustered { ref hosts, .. } if hosts.len() == 3)
        );
        let tls = parse("rediss-cluster://a:7000").unwrap();
        assert!(tls.tls);
        assert!(tls.config(None).unwrap().tls.is_some(), "rediss means TLS");
        assert!(single.config(None).unwrap().tls.is_none());

        let sentinel = parse("redis-sentinel://s1:26379,s2,s3:26380/mymaster?db=1").unwrap();
        assert_eq!(
            sentinel.topology,
            Topology::Sentinel {
                service: "mymaster".into()
            }
        );
        assert_eq!(sentinel.hosts[1], ("s2".to_owned(), 26379));
        let config = sentinel.config(None).unwrap();
        assert_eq!(config.database, Some(1));
        assert!(
            matches!(config.server, ServerConfig::Sentinel { ref service_name, ref hosts, .. }
                if service_name == "mymaster" && hosts.len() == 3)
        );
    }

    #[test]
    fn a_bad_url_says_why_without_the_password() {
        for (url, why) in [
            ("http://x", "must start with"),
            ("redis-sentinel://s1:26379", "service"),
            ("redis-cluster://a:7000/3", "no database"),
            ("redis-cluster://a:notaport", "port"),
            ("redis-cluster://", "no host"),
            ("redis-cluster://u:hunter2@a:7000?x=1", "query"),
        ] {
            let err = parse(url).unwrap_err();
            assert!(err.contains(why), "{url}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
        let debug = format!("{:?}", parse("redis-cluster://u:hunter2@a:7000").unwrap());
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}
