//! Throttling of password guesses and sign-ups (SECURITY P3, P8, P9): counters in fixed windows
//! per account, per client network, per account-and-network pair, per trusted device, and
//! sign-ups per network. The same atomic counting makes one-time values (Google nonces) usable
//! once (G4). They live in Redis when it is configured and in the SQL database
//! otherwise, so every instance sees the same numbers either way.
//!
//! Owns the `throttle_counters` table.
//!
//! # Security
//! - An attempt is *reserved* before the password is hashed: every counter it touches is
//!   incremented atomically (Redis `INCR`, one SQL upsert), and it goes ahead only if none is
//!   over its limit. So N parallel guesses get no more tries than N sequential ones. A refused
//!   attempt gives its counts back, so only attempts that were tried count.
//! - The tight limit is on the account-and-network pair: one source guessing one password is
//!   slowed at once. The per-account limit is looser, and a browser that signed in to the
//!   account before (a valid device cookie, see [`device`](super::device)) is exempt from both:
//!   it has a small limit of its own, so nobody can lock the owner out by guessing elsewhere.
//!   The per-network limit stops one source spraying many accounts.
//! - IPv6 clients are counted per /64, the block one subscriber usually gets.
//! - Every lock ends with its window.

use std::{net::IpAddr, time::Duration};

use fred::{
    clients::Pool as RedisPool,
    prelude::*,
    types::{ExpireOptions, Value},
};
use time::OffsetDateTime;

use crate::{on_db, server::db::Db};

/// What happens to a counter when the attempt it counted succeeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OnSuccess {
    /// The count starts again (the pair, the device: the right password ends their lock).
    Reset,
    /// The attempt is given back: it was not a failure.
    GiveBack,
    /// It stays counted (sign-ups count whether or not they succeed).
    Keep,
}

/// One counter's limit.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    name: &'static str,
    max: u64,
    window: Duration,
    on_success: OnSuccess,
}

const FIVE_MINUTES: Duration = Duration::from_secs(5 * 60);

/// Guesses at one account from one network.
const PAIR: Limit = Limit {
    name: "pair",
    max: 5,
    window: FIVE_MINUTES,
    on_success: OnSuccess::Reset,
};
/// Guesses at one account from anywhere, except its owner's trusted browsers.
const ACCOUNT: Limit = Limit {
    name: "account",
    max: 20,
    window: FIVE_MINUTES,
    on_success: OnSuccess::GiveBack,
};
/// Guesses from one network at any account.
const NETWORK: Limit = Limit {
    name: "ip",
    max: 50,
    window: FIVE_MINUTES,
    on_success: OnSuccess::GiveBack,
};
/// Guesses from a browser that holds a device cookie for the account.
const DEVICE: Limit = Limit {
    name: "device",
    max: 5,
    window: FIVE_MINUTES,
    on_success: OnSuccess::Reset,
};

/// A value that may be used once (a Google nonce): the first use passes, every later one
/// within the hour is refused, however many race.
const ONCE: Limit = Limit {
    name: "once",
    max: 1,
    window: Duration::from_secs(60 * 60),
    on_success: OnSuccess::Keep,
};

/// Mails sent to one address on request (password resets, verification resends, email
/// changes): a few an hour, so nobody can mail-bomb it (SECURITY E3).
const MAILS_TO_ADDRESS: Limit = Limit {
    name: "mail",
    max: 5,
    window: Duration::from_secs(60 * 60),
    on_success: OnSuccess::Keep,
};
/// Mails requested from one network, to any addresses.
const MAILS_FROM_NETWORK: Limit = Limit {
    name: "mail-ip",
    max: 30,
    window: Duration::from_secs(60 * 60),
    on_success: OnSuccess::Keep,
};

/// Codes tried for one sign-in held for its second factor (SECURITY M1): five, and it ends.
const CODES_PER_SIGN_IN: Limit = Limit {
    name: "2fa-sign-in",
    max: 5,
    window: FIVE_MINUTES,
    on_success: OnSuccess::Keep,
};
/// Codes tried for one account, from anywhere and across held sign-ins: whoever holds the
/// password gets ten tries per quarter-hour at a six-digit code, not a brute force. The
/// owner's right code gives back only its own try, so it never clears an attacker's count.
const CODES_PER_ACCOUNT: Limit = Limit {
    name: "2fa-account",
    max: 10,
    window: Duration::from_secs(15 * 60),
    on_success: OnSuccess::GiveBack,
};
/// And thirty a day: a guesser who keeps to the quarter-hour limit still has about one chance
/// in ten thousand a day (each try matches 3 of the 10^6 codes, for the clock skew).
const CODES_PER_ACCOUNT_DAY: Limit = Limit {
    name: "2fa-account-day",
    max: 30,
    window: Duration::from_secs(24 * 60 * 60),
    on_success: OnSuccess::GiveBack,
};

/// Codes tried from one browser that holds the account's device cookie (SECURITY C6): it
/// counts on its own instead of the account's limits, so strangers who spent the account's
/// codes cannot lock the owner's usual browser out of the code step.
const CODES_PER_DEVICE: Limit = Limit {
    name: "2fa-device",
    max: 10,
    window: Duration::from_secs(15 * 60),
    on_success: OnSuccess::GiveBack,
};
const CODES_PER_DEVICE_DAY: Limit = Limit {
    name: "2fa-device-day",
    max: 30,
    window: Duration::from_secs(24 * 60 * 60),
    on_success: OnSuccess::GiveBack,
};

/// Anonymous sessions stored for one network (SECURITY C8): `max` per ten minutes, as long as
/// the longest of them lives.
pub fn anonymous_sessions_per_10_min(max: u64) -> Limit {
    Limit {
        name: "anon-session",
        max,
        window: Duration::from_secs(10 * 60),
        on_success: OnSuccess::Keep,
    }
}

/// Sign-ups from one network: `max` an hour.
pub fn sign_ups_per_hour(max: u64) -> Limit {
    Limit {
        name: "signup",
        max,
        window: Duration::from_secs(60 * 60),
        on_success: OnSuccess::Keep,
    }
}

/// The counters one attempt is charged to, in the order of their keys: every statement that
/// locks several counter rows takes them in that one order, so two can never wait on each other.
#[derive(Clone, Debug)]
pub struct Attempt {
    counters: Vec<(Limit, String)>,
}

impl Attempt {
    fn new(mut counters: Vec<(Limit, String)>) -> Self {
        counters.sort_by(|a, b| a.1.cmp(&b.1));
        Self { counters }
    }

    /// A password tried for `account` (a normalised email) from `ip`. `device` is the id of a
    /// valid device cookie for that account, when the browser presented one: then the account
    /// and pair limits give way to the device's own.
    pub fn password(account: &str, ip: &str, device: Option<&str>) -> Self {
        let network = network_of(ip);
        let mut counters = vec![(NETWORK, format!("ip:{network}"))];
        match device {
            Some(device) => counters.push((DEVICE, format!("device:{device}"))),
            None => {
                counters.push((PAIR, format!("pair:{network}:{account}")));
                counters.push((ACCOUNT, format!("account:{account}")));
            }
        }
        Self::new(counters)
    }

    /// A second-factor code (or recovery code) tried for the account `user_id` from `ip`, for
    /// the held sign-in `sign_in` (none for a step-up of a signed-in session). `device` is the
    /// id of a valid device cookie for the account, when the browser presented one: then the
    /// account's limits give way to the device's own, as for passwords.
    pub fn second_factor(
        user_id: i64,
        ip: &str,
        sign_in: Option<&str>,
        device: Option<&str>,
    ) -> Self {
        let mut counters = vec![(NETWORK, format!("ip:{}", network_of(ip)))];
        match device {
            Some(device) => counters.extend([
                (CODES_PER_DEVICE, format!("2fa-device:{device}")),
                (CODES_PER_DEVICE_DAY, format!("2fa-device-day:{device}")),
            ]),
            None => counters.extend([
                (CODES_PER_ACCOUNT, format!("2fa:{user_id}")),
                (CODES_PER_ACCOUNT_DAY, format!("2fa-day:{user_id}")),
            ]),
        }
        if let Some(id) = sign_in {
            counters.push((CODES_PER_SIGN_IN, format!("2fa-sign-in:{id}")));
        }
        Self::new(counters)
    }

    /// A request, from `ip`, that mails `address`.
    pub fn mail(address: &str, ip: &str) -> Self {
        Self::new(vec![
            (MAILS_TO_ADDRESS, format!("mail:{}", address.to_lowercase())),
            (MAILS_FROM_NETWORK, format!("mail-ip:{}", network_of(ip))),
        ])
    }

    /// The use of a one-time value, `kind` naming what it is (`google-nonce`).
    pub fn single_use(kind: &str, value: &str) -> Self {
        Self::new(vec![(ONCE, format!("once:{kind}:{value}"))])
    }

    /// A session stored for a visitor from `ip` who is not signed in, under `limit` (see
    /// [`anonymous_sessions_per_10_min`]).
    pub fn anonymous_session(ip: &str, limit: Limit) -> Self {
        Self::new(vec![(limit, format!("anon-session:{}", network_of(ip)))])
    }

    /// A sign-up from `ip`, under `limit` (see [`sign_ups_per_hour`]).
    pub fn sign_up(ip: &str, limit: Limit) -> Self {
        Self::new(vec![(limit, format!("signup:{}", network_of(ip)))])
    }
}

/// The part of an address that throttling counts: the address itself for IPv4, its /64 for
/// IPv6 (one subscriber usually has a whole /64, so counting single addresses would let them
/// rotate through 2^64 of them). Text that is not an address is counted as given.
pub fn network_of(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & !((1_u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(prefix))
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

/// Shared counters.
#[derive(Clone, Debug)]
pub enum Throttle {
    Redis { pool: RedisPool, prefix: String },
    Sql(Db),
}

/// Why throttling could not be checked.
#[derive(Debug, thiserror::Error)]
#[error("throttle store unavailable: {0}")]
pub struct ThrottleError(String);

/// An attempt that may go ahead. Say how it went: [`Ticket::counted`] (a failed guess, any
/// sign-up), [`Ticket::succeeded`], or [`Ticket::cancel`] when it was not tried after all.
#[must_use = "say how the attempt went"]
pub struct Ticket {
    throttle: Throttle,
    counters: Vec<(Limit, String)>,
}

/// Gives back one count of a key, unless its window has already ended.
const GIVE_BACK_SCRIPT: &str = "if (tonumber(redis.call('GET', KEYS[1]) or '0')) > 0 then \
     return redis.call('DECR', KEYS[1]) end return 0";

impl Throttle {
    pub fn redis(pool: RedisPool, prefix: &str) -> Self {
        Throttle::Redis {
            pool,
            prefix: format!("{prefix}throttle:"),
        }
    }

    pub fn sql(db: Db) -> Self {
        Throttle::Sql(db)
    }

    /// Counts `attempt` against each of its counters, at once. `Ok(Ok(ticket))`: it may go
    /// ahead; `Ok(Err(secs))`: a counter is over its limit for that long more, and the attempt
    /// counts nowhere.
    pub async fn reserve(&self, attempt: Attempt) -> Result<Result<Ticket, u64>, ThrottleError> {
        let counts = self.increment(&attempt.counters).await?;
        let wait = attempt
            .counters
            .iter()
            .zip(&counts)
            .filter(|((limit, _), (count, _))| *count > limit.max)
            .map(|((limit, _), (_, ttl))| {
                tracing::debug!(limit = limit.name, "throttled");
                (*ttl).max(1)
            })
            .max();
        let ticket = Ticket {
            throttle: self.clone(),
            counters: attempt.counters,
        };
        match wait {
            None => Ok(Ok(ticket)),
            Some(wait) => {
                ticket.cancel().await?;
                Ok(Err(wait))
            }
        }
    }

    /// Adds one to each counter (starting its window if it has none); returns each count and
    /// the seconds left in its window.
    async fn increment(
        &self,
        counters: &[(Limit, String)],
    ) -> Result<Vec<(u64, u64)>, ThrottleError> {
        match self {
            Throttle::Redis { pool, prefix } => {
                let pipeline = pool.next().pipeline();
                for (limit, key) in counters {
                    let key = format!("{prefix}{key}");
                    let () = pipeline.incr(&key).await.map_err(redis_error)?;
                    // NX: the window starts at the first attempt and is not extended by later ones.
                    let () = pipeline
                        .expire(&key, limit.window.as_secs() as i64, Some(ExpireOptions::NX))
                        .await
                        .map_err(redis_error)?;
                    let () = pipeline.ttl(&key).await.map_err(redis_error)?;
                }
                let replies: Vec<Value> = pipeline.all().await.map_err(redis_error)?;
                Ok(replies
                    .chunks(3)
                    .map(|reply| {
                        let count = reply[0].as_u64().unwrap_or(u64::MAX);
                        let ttl = reply[2].as_i64().unwrap_or(0).max(0) as u64;
                        (count, ttl)
                    })
                    .collect())
            }
            Throttle::Sql(db) => {
                let now = unix_now();
                // One statement for every counter: a new row starts its window, a row whose
                // window has ended starts a new one, any other row counts one more.
                let rows = (0..counters.len())
                    .map(|i| format!("(${}, 1, ${})", 2 * i + 2, 2 * i + 3))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "INSERT INTO throttle_counters (key, count, expires_at) VALUES {rows}
                     ON CONFLICT (key) DO UPDATE SET
                       count = CASE WHEN throttle_counters.expires_at <= $1 THEN 1
                                    ELSE throttle_counters.count + 1 END,
                       expires_at = CASE WHEN throttle_counters.expires_at <= $1
                                         THEN excluded.expires_at
                                         ELSE throttle_counters.expires_at END
                     RETURNING key, count, expires_at"
                );
                let found: Vec<(String, i64, i64)> = on_db!(db, pool => {
                    let mut query = sqlx::query_as(&sql).bind(now);
                    for (limit, key) in counters {
                        query = query.bind(key).bind(now + limit.window.as_secs() as i64);
                    }
                    query.fetch_all(pool).await
                })
                .map_err(sql_error)?;
                // RETURNING gives no order: match the rows to the counters by key.
                Ok(counters
                    .iter()
                    .map(|(_, key)| {
                        found.iter().find(|(k, _, _)| k == key).map_or(
                            (u64::MAX, 1),
                            |(_, count, expires_at)| {
                                ((*count).max(0) as u64, (expires_at - now).max(0) as u64)
                            },
                        )
                    })
                    .collect())
            }
        }
    }

    /// Gives back one count of each of `keys`, and starts `reset` over.
    async fn settle(&self, give_back: &[&str], reset: &[&str]) -> Result<(), ThrottleError> {
        if give_back.is_empty() && reset.is_empty() {
            return Ok(());
        }
        match self {
            Throttle::Redis { pool, prefix } => {
                // One script per key (so each touches one key, as a cluster requires), sent
                // together: fred writes concurrent commands to the connection back to back.
                let give_backs = give_back.iter().map(|key| {
                    pool.eval::<Value, _, _, _>(GIVE_BACK_SCRIPT, format!("{prefix}{key}"), ())
                });
                // One DEL per key as well: a DEL of several keys in different hash slots is
                // refused by a cluster (CROSSSLOT).
                let resets = reset
                    .iter()
                    .map(|key| pool.del::<(), _>(format!("{prefix}{key}")));
                let (given, reset) = tokio::join!(
                    futures::future::join_all(give_backs),
                    futures::future::join_all(resets)
                );
                for result in given {
                    result.map_err(redis_error)?;
                }
                for result in reset {
                    result.map_err(redis_error)?;
                }
                Ok(())
            }
            Throttle::Sql(db) => {
                // One row per statement: a statement holding one row's lock never waits for
                // another's, so these cannot deadlock with a reservation.
                let now = unix_now();
                for key in give_back {
                    on_db!(db, pool => sqlx::query(
                        "UPDATE throttle_counters SET count = count - 1
                         WHERE key = $1 AND count > 0 AND expires_at > $2",
                    )
                    .bind(*key)
                    .bind(now)
                    .execute(pool)
                    .await
                    .map(drop))
                    .map_err(sql_error)?;
                }
                for key in reset {
                    on_db!(db, pool => sqlx::query("DELETE FROM throttle_counters WHERE key = $1")
                        .bind(*key)
                        .execute(pool)
                        .await
                        .map(drop))
                    .map_err(sql_error)?;
                }
                Ok(())
            }
        }
    }

    /// Starts the task that deletes counters whose window has ended (Redis expires them
    /// itself).
    pub fn spawn_cleanup(&self) {
        let Throttle::Sql(db) = self.clone() else {
            return;
        };
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FIVE_MINUTES);
            loop {
                tick.tick().await;
                let deleted = on_db!(&db, pool => sqlx::query(
                    "DELETE FROM throttle_counters WHERE expires_at <= $1",
                )
                .bind(unix_now())
                .execute(pool)
                .await
                .map(drop));
                if let Err(err) = deleted {
                    tracing::warn!(error = %err, "could not delete ended throttle windows");
                }
            }
        });
    }
}

impl Ticket {
    /// The attempt stays counted: a failed guess, or any sign-up.
    pub fn counted(self) {}

    /// The attempt succeeded: the pair's and the device's counts start over, the account's and
    /// the network's get this attempt back, and sign-ups stay counted.
    pub async fn succeeded(self) -> Result<(), ThrottleError> {
        let pick = |wanted: OnSuccess| {
            self.counters
                .iter()
                .filter(move |(limit, _)| limit.on_success == wanted)
                .map(|(_, key)| key.as_str())
                .collect::<Vec<_>>()
        };
        self.throttle
            .settle(&pick(OnSuccess::GiveBack), &pick(OnSuccess::Reset))
            .await
    }

    /// The attempt was not tried after all (the server was too busy to): every count is given
    /// back.
    pub async fn cancel(self) -> Result<(), ThrottleError> {
        let keys: Vec<&str> = self.counters.iter().map(|(_, key)| key.as_str()).collect();
        self.throttle.settle(&keys, &[]).await
    }
}

fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn redis_error(err: Error) -> ThrottleError {
    ThrottleError(err.to_string())
}

fn sql_error(err: sqlx::Error) -> ThrottleError {
    ThrottleError(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_is_counted_per_64_and_ipv4_per_address() {
        assert_eq!(network_of("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            network_of("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64"
        );
        assert_ne!(network_of("2001:db8:1:3::1"), network_of("2001:db8:1:2::1"));
        assert_eq!(network_of("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(network_of("192.0.2.7"), "192.0.2.7");
        assert_eq!(network_of("not an address"), "not an address");
    }

    #[test]
    fn a_device_cookie_replaces_the_account_and_pair_limits_only() {
        let stranger = Attempt::password("a@example.com", "192.0.2.7", None);
        let owner = Attempt::password("a@example.com", "192.0.2.7", Some("d1"));
        let names = |attempt: &Attempt| {
            attempt
                .counters
                .iter()
                .map(|(limit, _)| limit.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&stranger), ["account", "ip", "pair"], "in key order");
        assert_eq!(names(&owner), ["device", "ip"]);
    }
}
