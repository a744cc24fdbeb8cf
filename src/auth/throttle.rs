//! Sign-in throttling (R7, U6): failed sign-ins are counted per account (tenant, kind, login)
//! and per client address within a fixed window that starts at the first failure. Past the
//! limit every attempt is refused — a correct password too — until the window runs out, so a
//! guesser gets a handful of tries per window and the real owner is never locked out for good.
//! A successful sign-in clears the account's counter (never the address's: one known account
//! must not reset the counter an attacker spends on others).
//!
//! Counters live in Redis when it is configured (`INCR` + `PEXPIRE` in one script, so the limit
//! holds across instances), else in this process. When Redis fails, the process counts alone
//! for that call rather than refusing everyone.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::principal::PrincipalKind;
use super::redis_store::LazyRedis;
use crate::config::AuthSettings;

/// R7: prefix of throttle keys in Redis.
pub const THROTTLE_PREFIX: &str = "roster:throttle:";

/// Local counters kept before expired ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// How many failures are allowed, and for how long they count (R7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures per account before refusing.
    pub per_account: u32,
    /// Failures per client address before refusing.
    pub per_address: u32,
    /// Counting window, from the first failure.
    pub window: Duration,
}

impl From<&AuthSettings> for Limits {
    fn from(s: &AuthSettings) -> Self {
        Self {
            per_account: s.max_failures_per_account,
            per_address: s.max_failures_per_address,
            window: s.failure_window,
        }
    }
}

/// R7: the counters one sign-in attempt touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    account: String,
    address: Option<String>,
}

impl Keys {
    /// Keys for `login` of `kind` in `tenant`, from `address` when known. The login is hashed:
    /// keys stay short and Redis holds no login names. IPv6 addresses count per /64, the block
    /// one client usually controls.
    pub fn new(tenant: Uuid, kind: PrincipalKind, login: &str, address: Option<IpAddr>) -> Self {
        let kind = match kind {
            PrincipalKind::Backoffice => "b",
            PrincipalKind::User => "u",
        };
        let digest = Sha256::digest(format!("{tenant}\n{kind}\n{login}").as_bytes());
        let account: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let address = address.map(|a| match a {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        });
        Self {
            account: format!("{THROTTLE_PREFIX}account:{account}"),
            address: address.map(|a| format!("{THROTTLE_PREFIX}address:{a}")),
        }
    }

    /// The account counter's key (Redis key when Redis is used).
    pub fn account_key(&self) -> &str {
        &self.account
    }

    fn with_limits(&self, limits: &Limits) -> Vec<(&str, u32)> {
        let mut keys = vec![(self.account.as_str(), limits.per_account)];
        if let Some(a) = &self.address {
            keys.push((a.as_str(), limits.per_address));
        }
        keys
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    failures: u32,
    until: Instant,
}

/// R7, X4: failure counters of one process, and the shared ones in Redis when configured.
#[derive(Debug, Default)]
pub struct Throttle {
    local: Mutex<HashMap<String, Window>>,
    redis: OnceLock<Option<LazyRedis>>,
}

const FAIL_SCRIPT: &str = r"
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 or redis.call('PTTL', key) < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
  end
end
return 1
";

impl Throttle {
    /// An empty throttle; `redis` is the shared client, when configured.
    pub fn new(redis: Option<redis::Client>) -> Self {
        let this = Self::default();
        this.attach(redis.as_ref());
        this
    }

    /// Binds a throttle made without a client to the instance's Redis (if any). Only the
    /// first call counts: an instance has one Redis for its whole life.
    pub fn attach(&self, redis: Option<&redis::Client>) {
        self.redis
            .get_or_init(|| redis.cloned().map(LazyRedis::new));
    }

    fn redis(&self) -> Option<&LazyRedis> {
        self.redis.get().and_then(Option::as_ref)
    }

    /// R7: how long the caller must wait, when a counter of `keys` has reached its limit.
    pub async fn check(&self, limits: &Limits, keys: &Keys) -> Option<Duration> {
        let wanted = keys.with_limits(limits);
        if let Some(redis) = self.redis() {
            match redis_check(redis, &wanted).await {
                Ok(wait) => return wait,
                Err(e) => {
                    tracing::warn!(error = %e, "throttle: Redis unavailable, counting locally")
                }
            }
        }
        let now = Instant::now();
        let local = self.lock();
        wanted
            .iter()
            .filter_map(|(key, limit)| {
                local
                    .get(*key)
                    .filter(|w| w.until > now && w.failures >= *limit)
                    .map(|w| w.until - now)
            })
            .max()
    }

    /// Counts one failed attempt against every counter of `keys`.
    pub async fn failed(&self, limits: &Limits, keys: &Keys) {
        let wanted = keys.with_limits(limits);
        if let Some(redis) = self.redis() {
            match redis_fail(redis, &wanted, limits.window).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "throttle: Redis unavailable, counting locally")
                }
            }
        }
        let now = Instant::now();
        let mut local = self.lock();
        if local.len() > SWEEP_ABOVE {
            local.retain(|_, w| w.until > now);
        }
        for (key, _) in wanted {
            let w = local.entry(key.to_owned()).or_insert(Window {
                failures: 0,
                until: now + limits.window,
            });
            if w.until <= now {
                *w = Window {
                    failures: 0,
                    until: now + limits.window,
                };
            }
            w.failures = w.failures.saturating_add(1);
        }
    }

    /// A successful sign-in (or password reset): the account starts afresh.
    pub async fn succeeded(&self, keys: &Keys) {
        if let Some(redis) = self.redis() {
            let cleared = async {
                let mut conn = redis.get().await?;
                redis::cmd("DEL")
                    .arg(&keys.account)
                    .query_async::<()>(&mut conn)
                    .await
            };
            if let Err(e) = cleared.await {
                tracing::warn!(error = %e, "throttle: Redis unavailable, clearing locally");
            }
        }
        self.lock().remove(&keys.account);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Window>> {
        // A panic while holding the lock leaves plain counters behind: still usable.
        self.local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

async fn redis_check(
    redis: &LazyRedis,
    keys: &[(&str, u32)],
) -> redis::RedisResult<Option<Duration>> {
    let mut conn = redis.get().await?;
    let mut pipe = redis::pipe();
    for (key, _) in keys {
        pipe.cmd("GET").arg(*key).cmd("PTTL").arg(*key);
    }
    let values: Vec<(Option<u32>, i64)> = {
        let flat: Vec<redis::Value> = pipe.query_async(&mut conn).await?;
        flat.chunks(2)
            .map(|pair| {
                let count = pair
                    .first()
                    .and_then(|v| redis::from_redis_value_ref::<Option<u32>>(v).ok())
                    .flatten();
                let ttl = pair
                    .get(1)
                    .and_then(|v| redis::from_redis_value_ref::<i64>(v).ok())
                    .unwrap_or(-2);
                (count, ttl)
            })
            .collect()
    };
    Ok(keys
        .iter()
        .zip(values)
        .filter(|((_, limit), (count, ttl))| count.unwrap_or(0) >= *limit && *ttl > 0)
        .map(|(_, (_, ttl))| Duration::from_millis(u64::try_from(ttl).unwrap_or(0)))
        .max())
}

async fn redis_fail(
    redis: &LazyRedis,
    keys: &[(&str, u32)],
    window: Duration,
) -> redis::RedisResult<()> {
    let mut conn = redis.get().await?;
    let script = redis::Script::new(FAIL_SCRIPT);
    let mut call = script.prepare_invoke();
    for (key, _) in keys {
        call.key(*key);
    }
    call.arg(u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1));
    call.invoke_async::<i64>(&mut conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(window_ms: u64) -> Limits {
        Limits {
            per_account: 3,
            per_address: 5,
            window: Duration::from_millis(window_ms),
        }
    }

    #[tokio::test]
    async fn r7_local_counter_refuses_past_the_limit_until_the_window_ends() {
        let t = Throttle::new(None);
        let l = limits(200);
        let k = Keys::new(Uuid::nil(), PrincipalKind::User, "jdoe", None);
        for _ in 0..2 {
            t.failed(&l, &k).await;
        }
        assert_eq!(t.check(&l, &k).await, None);
        t.failed(&l, &k).await;
        assert!(t.check(&l, &k).await.is_some());
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(t.check(&l, &k).await, None);
    }

    #[tokio::test]
    async fn r7_address_counts_across_accounts_and_success_clears_only_the_account() {
        let t = Throttle::new(None);
        let l = limits(60_000);
        let ip: IpAddr = "192.0.2.7".parse().expect("ip");
        for i in 0..5 {
            let k = Keys::new(Uuid::nil(), PrincipalKind::User, &format!("u{i}"), Some(ip));
            t.failed(&l, &k).await;
        }
        let other = Keys::new(Uuid::nil(), PrincipalKind::User, "fresh", Some(ip));
        assert!(t.check(&l, &other).await.is_some(), "address limit reached");
        t.succeeded(&other).await;
        assert!(t.check(&l, &other).await.is_some(), "address counter kept");
    }

    #[test]
    fn keys_hide_the_login_and_group_ipv6_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let ka = Keys::new(
            Uuid::nil(),
            PrincipalKind::Backoffice,
            "j.doe@example.org",
            Some(a),
        );
        let kb = Keys::new(
            Uuid::nil(),
            PrincipalKind::User,
            "j.doe@example.org",
            Some(b),
        );
        assert_eq!(ka.address, kb.address);
        assert_ne!(ka.account, kb.account, "kinds count apart");
        assert!(!ka.account.contains("example"));
    }
}
