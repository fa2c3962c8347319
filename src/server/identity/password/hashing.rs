//! Password hashing with argon2id (SECURITY P4), off the async runtime.
//!
//! Hashes run on a small fixed set of threads behind a bounded queue ([`Hasher`]), each thread
//! reusing one argon2 memory buffer for every hash. That bounds both CPU (a sign-in flood queues here and never takes more than half the
//! cores from requests that only read a session) and memory (argon2 needs megabytes per hash;
//! allocating them afresh on a growing set of threads left hundreds of megabytes with the
//! allocator after a burst of sign-ins).

use std::{
    fmt,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
        mpsc,
    },
};

use anyhow::{Context, anyhow};
use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{Output, ParamsString, PasswordHash as Phc, SaltString, rand_core::OsRng},
};
use tokio::sync::{OnceCell, oneshot};

use crate::domain::Password;

/// One of OWASP's equivalent argon2id settings: 7 MiB of memory, 5 passes, 1 lane. The
/// lower-memory option, so that the hashing threads' buffers stay small.
const M_COST_KIB: u32 = 7 * 1024;
const T_COST: u32 = 5;
const OUTPUT_LEN: usize = 32;

fn params() -> Params {
    Params::new(M_COST_KIB, T_COST, 1, Some(OUTPUT_LEN)).expect("valid argon2 parameters")
}

/// A PHC-format argon2id hash, as stored in `users.password_hash`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a stored hash.
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this hash was made with other settings than today's (an older release), and
    /// should be replaced the next time the password is known.
    pub fn needs_rehash(&self) -> bool {
        Phc::new(&self.0)
            .ok()
            .and_then(|phc| Params::try_from(&phc).ok().map(|p| (phc.algorithm, p)))
            .is_none_or(|(algorithm, p)| {
                let current = params();
                algorithm != Algorithm::Argon2id.ident()
                    || p.m_cost() != current.m_cost()
                    || p.t_cost() != current.t_cost()
                    || p.p_cost() != current.p_cost()
            })
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

/// Work for the hashing threads.
enum Job {
    Hash(String, oneshot::Sender<anyhow::Result<PasswordHash>>),
    Verify(String, PasswordHash, oneshot::Sender<anyhow::Result<bool>>),
}

impl Job {
    /// Whether the request that asked for this job has gone (its client disconnected, or it
    /// timed out): nobody would read the answer.
    fn abandoned(&self) -> bool {
        match self {
            Job::Hash(_, reply) => reply.is_closed(),
            Job::Verify(_, _, reply) => reply.is_closed(),
        }
    }
}

/// Why a hash was not computed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing thread is busy and the queue in front of them is full: answer 503 at once
    /// rather than queue without end.
    #[error("the password-hashing queue is full")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// How far below request handling the hashing threads run: the lowest ordinary priority (a
/// portable 0–100 value; nice 19 on Linux). It is still an ordinary priority, not an idle one, so
/// sign-ins slow down on a saturated machine but never stop: measured with four clients signing
/// in against a fully loaded server, 25–45 sign-ins a second still completed, where nice 7 let
/// hashing take more than half a core from requests (`bench/RESULTS.md`).
const HASHING_PRIORITY: u8 = 0;

/// The password hasher: a small fixed set of threads (one per two cores, at least one) behind a
/// bounded queue.
///
/// # Security
/// Argon2id is deliberately expensive, so hashing is where a flood of sign-ins or sign-ups
/// lands. The queue holds at most `capacity` jobs: beyond that, [`HashError::Busy`] answers at
/// once (503 with `Retry-After`) instead of letting waiting requests, and their memory, pile up
/// without end. A job whose request has gone is skipped, not hashed.
pub struct Hasher {
    jobs: mpsc::SyncSender<Job>,
    /// A hash of a random password, verified against when the account does not exist so that an
    /// unknown email costs the same time as a wrong password (SECURITY P2).
    dummy: OnceCell<PasswordHash>,
    /// Jobs skipped because their request had gone.
    skipped: Arc<AtomicU64>,
    /// Numbers this hasher's threads (`argon2-{instance}-{n}`).
    instance: u64,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl Hasher {
    /// Starts the hashing threads, with room for `capacity` jobs waiting for them.
    pub fn start(capacity: usize) -> Self {
        let (jobs, receiver) = mpsc::sync_channel::<Job>(capacity);
        let receiver = Arc::new(Mutex::new(receiver));
        let skipped = Arc::new(AtomicU64::new(0));
        static INSTANCES: AtomicU64 = AtomicU64::new(0);
        let instance = INSTANCES.fetch_add(1, Ordering::Relaxed);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        for index in 0..cores.div_ceil(2) {
            let receiver = receiver.clone();
            let skipped = skipped.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{instance}-{index}"))
                .spawn(move || worker(&receiver, &skipped))
                .expect("starting a hashing thread");
        }
        Self {
            jobs,
            dummy: OnceCell::new(),
            skipped,
            instance,
        }
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: Password) -> Result<PasswordHash, HashError> {
        let password = password.expose().to_owned();
        self.submit(move |reply| Job::Hash(password, reply)).await
    }

    /// Checks `password` against `hash`, or against a dummy hash when there is none, so both
    /// outcomes take the same time. Returns `false` whenever `hash` is `None`.
    pub async fn verify(
        &self,
        password: Password,
        hash: Option<PasswordHash>,
    ) -> Result<bool, HashError> {
        let (hash, real) = match hash {
            Some(hash) => (hash, true),
            None => (self.dummy().await?, false),
        };
        let password = password.expose().to_owned();
        let matched = self
            .submit(move |reply| Job::Verify(password, hash, reply))
            .await?;
        Ok(matched && real)
    }

    /// Prepares the dummy hash ahead of the first sign-in, so that sign-in is not slower.
    pub async fn warm_up(&self) {
        if let Err(err) = self.dummy().await {
            tracing::warn!(error = %err, "preparing the dummy password hash");
        }
    }

    /// How many jobs were skipped because their request had gone.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    async fn dummy(&self) -> Result<PasswordHash, HashError> {
        self.dummy
            .get_or_try_init(|| {
                let random = SaltString::generate(&mut OsRng).as_str().to_owned();
                self.submit(move |reply| Job::Hash(random, reply))
            })
            .await
            .cloned()
    }

    /// Queues a job, or refuses it at once when the queue is full.
    fn enqueue<T>(
        &self,
        job: impl FnOnce(oneshot::Sender<anyhow::Result<T>>) -> Job,
    ) -> Result<oneshot::Receiver<anyhow::Result<T>>, HashError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.try_send(job(reply)).map_err(|err| match err {
            mpsc::TrySendError::Full(_) => HashError::Busy,
            mpsc::TrySendError::Disconnected(_) => anyhow!("hashing threads stopped").into(),
        })?;
        Ok(answer)
    }

    async fn submit<T>(
        &self,
        job: impl FnOnce(oneshot::Sender<anyhow::Result<T>>) -> Job,
    ) -> Result<T, HashError> {
        let answer = self.enqueue(job)?;
        Ok(answer.await.context("hashing thread dropped the job")??)
    }
}

fn worker(jobs: &Mutex<mpsc::Receiver<Job>>, skipped: &AtomicU64) {
    // Below the runtime's threads: when the CPU is contended, signed-in requests go first and
    // sign-ins take longer, rather than a stream of sign-ins slowing every other request.
    let lowered = thread_priority::ThreadPriorityValue::try_from(HASHING_PRIORITY)
        .map_err(|err| err.to_string())
        .and_then(|value| {
            thread_priority::set_current_thread_priority(
                thread_priority::ThreadPriority::Crossplatform(value),
            )
            .map_err(|err| format!("{err:?}"))
        });
    if let Err(err) = lowered {
        tracing::warn!(error = %err, "could not lower the hashing thread's priority");
    }
    let mut memory = Vec::new();
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else {
            // The hasher is gone: so is every sender.
            return;
        };
        if job.abandoned() {
            skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        // Allocated on the first job, then reused for every hash.
        if memory.is_empty() {
            memory = vec![Block::default(); params().block_count()];
        }
        match job {
            Job::Hash(password, reply) => {
                let _ = reply.send(hash_with(&mut memory, &password));
            }
            Job::Verify(password, hash, reply) => {
                let _ = reply.send(verify_with(&mut memory, &password, &hash));
            }
        }
    }
}

fn hash_with(memory: &mut [Block], password: &str) -> anyhow::Result<PasswordHash> {
    let params = params();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0_u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|err| anyhow!("salt: {err}"))?;
    let mut out = [0_u8; OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut out,
            &mut memory[..params.block_count()],
        )
        .map_err(|err| anyhow!("argon2: {err}"))?;
    let phc = Phc {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|err| anyhow!("params: {err}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|err| anyhow!("output: {err}"))?),
    };
    Ok(PasswordHash(phc.to_string()))
}

fn verify_with(memory: &mut [Block], password: &str, hash: &PasswordHash) -> anyhow::Result<bool> {
    let phc = Phc::new(hash.as_str()).map_err(|err| anyhow!("stored hash: {err}"))?;
    let algorithm = Algorithm::try_from(phc.algorithm).map_err(|err| anyhow!("{err}"))?;
    let version = Version::try_from(phc.version.unwrap_or(Version::V0x13.into()))
        .map_err(|err| anyhow!("{err}"))?;
    let params = Params::try_from(&phc).map_err(|err| anyhow!("stored params: {err}"))?;
    let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
        anyhow::bail!("stored hash lacks its salt or output");
    };
    let mut salt_bytes = [0_u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|err| anyhow!("salt: {err}"))?;
    let mut out = vec![0_u8; expected.len()];
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    // A hash from older, larger settings gets memory of its own, once: signing in replaces it.
    let mut larger = Vec::new();
    let memory = if blocks <= memory.len() {
        &mut memory[..blocks]
    } else {
        larger.resize(blocks, Block::default());
        &mut larger[..]
    };
    argon2
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory)
        .map_err(|err| anyhow!("argon2: {err}"))?;
    // `Output`'s equality is constant-time.
    Ok(Output::new(&out).map_err(|err| anyhow!("output: {err}"))? == expected)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_owasp_parameters_and_verifies() {
        let hasher = Hasher::start(8);
        let password = Password::parse("a long passphrase").unwrap();
        let hash = hasher.hash(password.clone()).await.unwrap();

        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
            "{}",
            hash.as_str()
        );
        assert!(hasher.verify(password, Some(hash.clone())).await.unwrap());
        let wrong = Password::for_sign_in("a long passphrasE").unwrap();
        assert!(!hasher.verify(wrong, Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_from_older_settings_still_verify_and_ask_to_be_replaced() {
        use argon2::PasswordHasher;
        let hasher = Hasher::start(8);
        let old = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(19 * 1024, 2, 1, None).unwrap(),
        )
        .hash_password(b"a long passphrase", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        let old = PasswordHash::from_stored(old);
        let password = Password::parse("a long passphrase").unwrap();

        assert!(
            hasher
                .verify(password.clone(), Some(old.clone()))
                .await
                .unwrap()
        );
        assert!(old.needs_rehash());
        assert!(!hasher.hash(password).await.unwrap().needs_rehash());
        let wrong = Password::for_sign_in("another passphrase").unwrap();
        assert!(!hasher.verify(wrong, Some(old)).await.unwrap());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_at_the_lowest_ordinary_priority() {
        let hasher = Hasher::start(8);
        let password = Password::for_sign_in("anything at all").unwrap();
        hasher.hash(password).await.unwrap();
        let ours = format!("argon2-{}-", hasher.instance);

        let mut nices = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").unwrap() {
            let dir = task.unwrap().path();
            let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            if name.starts_with(&ours) {
                // `stat`: the fields after the parenthesised name; nice is the 19th field.
                let stat = std::fs::read_to_string(dir.join("stat")).unwrap();
                let after_name = &stat[stat.rfind(')').unwrap() + 2..];
                let nice: i32 = after_name.split(' ').nth(16).unwrap().parse().unwrap();
                nices.push(nice);
            }
        }
        assert!(!nices.is_empty(), "no hashing thread found");
        assert!(nices.iter().all(|&nice| nice == 19), "{nices:?}");
    }

    #[tokio::test]
    async fn a_missing_hash_never_verifies() {
        let hasher = Hasher::start(8);
        let password = Password::for_sign_in("anything at all").unwrap();
        assert!(!hasher.verify(password, None).await.unwrap());
    }

    /// Fills the threads and the queue of `hasher` with jobs that take a while.
    fn fill(
        hasher: &Hasher,
        capacity: usize,
    ) -> Vec<oneshot::Receiver<anyhow::Result<PasswordHash>>> {
        let mut waiting = Vec::new();
        // Queue, then give the threads a moment to take their first jobs, and queue again: the
        // queue ends up full whichever way the threads were scheduled.
        for round in 0..2 {
            while let Ok(answer) =
                hasher.enqueue(|reply| Job::Hash("a long passphrase".into(), reply))
            {
                waiting.push(answer);
            }
            if round == 0 {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        assert!(waiting.len() >= capacity);
        waiting
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let hasher = Hasher::start(2);
        let waiting = fill(&hasher, 2);

        let refused = hasher
            .hash(Password::for_sign_in("one too many").unwrap())
            .await;

        assert!(matches!(refused, Err(HashError::Busy)), "{refused:?}");
        for answer in waiting {
            answer.await.unwrap().unwrap();
        }
        let later = hasher
            .hash(Password::for_sign_in("room again").unwrap())
            .await;
        assert!(later.is_ok(), "the queue drains");
    }

    #[tokio::test]
    async fn a_job_whose_request_has_gone_is_not_hashed() {
        let hasher = Hasher::start(4);
        let mut waiting = fill(&hasher, 4);

        // The last four requests give up (their clients went away) before a thread reaches them.
        let gone = waiting.split_off(waiting.len() - 4);
        drop(gone);
        for answer in waiting {
            answer.await.unwrap().unwrap();
        }
        // The thread passes over the four without hashing them.
        let started = std::time::Instant::now();
        while hasher.skipped() < 4 && started.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }

        assert_eq!(hasher.skipped(), 4);
        hasher
            .hash(Password::for_sign_in("after them").unwrap())
            .await
            .unwrap();
    }
}
