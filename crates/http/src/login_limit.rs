//! Login throttling, in memory, per account and per client address.
//!
//! Each key gets a few free failures; every further failure locks it for an
//! exponentially growing time (1 s, 2 s, 4 s, … up to 5 min by default). The
//! account limit stops guessing one account's password from many addresses;
//! the address limit stops trying one password against many accounts.
//!
//! A key's failures are forgotten once `forget_after` has passed since its
//! *last* failure (a quiet period), so an attacker who keeps failing keeps the
//! long lock-outs, while an honest user is back to normal the next hour. This
//! keeps each entry a fixed size instead of a list of timestamps.
//!
//! Memory stays bounded: account keys are truncated, IPv6 addresses count per
//! /64 (one customer's prefix, which they can fill at will), stale entries are
//! pruned when a map grows, and past a hard cap the least recently failing
//! entries are dropped.
//!
//! Time is passed in, so tests need no sleeping.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A map this large is pruned of stale entries before it grows further.
const PRUNE_AT: usize = 10_000;
/// Beyond this many live entries the oldest ones are dropped (down to 3/4).
const MAX_KEYS: usize = 100_000;
/// E-mail addresses are at most 254 bytes; longer input cannot be an account.
const MAX_ACCOUNT_KEY_BYTES: usize = 320;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitPolicy {
    /// Failures per account before lock-outs start.
    pub free_failures_per_account: u32,
    /// Failures per client address before lock-outs start.
    pub free_failures_per_ip: u32,
    /// The first lock-out; each further failure doubles it.
    pub base_delay: Duration,
    /// The longest lock-out.
    pub max_delay: Duration,
    /// Failures are forgotten after this long without a new one.
    pub forget_after: Duration,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        Self {
            free_failures_per_account: 5,
            free_failures_per_ip: 20,
            base_delay: Duration::from_secs(1),
            // Longer lock-outs mostly punish the victim of a flood, not the attacker.
            max_delay: Duration::from_secs(5 * 60),
            forget_after: Duration::from_secs(60 * 60),
        }
    }
}

#[derive(Debug)]
pub struct LoginLimiter {
    policy: LimitPolicy,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    accounts: Table<String>,
    ips: Table<IpAddr>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

impl Entry {
    fn wait(&self, now: Instant) -> Option<Duration> {
        let until = self.locked_until?;
        let wait = until.checked_duration_since(now)?;
        (!wait.is_zero()).then_some(wait)
    }

    fn is_live(&self, now: Instant, forget_after: Duration) -> bool {
        now.saturating_duration_since(self.last_failure) < forget_after || self.wait(now).is_some()
    }
}

#[derive(Debug)]
struct Table<K> {
    map: HashMap<K, Entry>,
    /// Size at which the next insert of a new key prunes first. It moves up
    /// after a prune so that pruning costs O(1) per insert on average.
    next_prune: usize,
}

impl<K> Default for Table<K> {
    fn default() -> Self {
        Self {
            map: HashMap::new(),
            next_prune: PRUNE_AT,
        }
    }
}

impl<K: Hash + Eq + Clone> Table<K> {
    fn wait(&self, key: &K, now: Instant) -> Option<Duration> {
        self.map.get(key).and_then(|e| e.wait(now))
    }

    fn fail(&mut self, key: K, now: Instant, free: u32, policy: &LimitPolicy) {
        if !self.map.contains_key(&key) && self.map.len() >= self.next_prune {
            self.prune(now, policy.forget_after);
        }
        let entry = self.map.entry(key).or_insert(Entry {
            failures: 0,
            last_failure: now,
            locked_until: None,
        });
        if now.saturating_duration_since(entry.last_failure) >= policy.forget_after {
            entry.failures = 0;
        }
        entry.failures = entry.failures.saturating_add(1);
        // Callers take `now` before the lock; never move time backwards.
        entry.last_failure = entry.last_failure.max(now);
        if entry.failures > free {
            let delay = lockout(policy, entry.failures - free - 1);
            let until = now.checked_add(delay).unwrap_or(now);
            entry.locked_until = Some(entry.locked_until.map_or(until, |old| old.max(until)));
        }
    }

    fn prune(&mut self, now: Instant, forget_after: Duration) {
        self.map.retain(|_, e| e.is_live(now, forget_after));
        if self.map.len() >= MAX_KEYS {
            // Under a flood of distinct keys, drop those that failed longest ago.
            let excess = self.map.len() - MAX_KEYS * 3 / 4;
            let mut by_age: Vec<(Instant, K)> = self
                .map
                .iter()
                .map(|(k, e)| (e.last_failure, k.clone()))
                .collect();
            by_age.select_nth_unstable_by_key(excess - 1, |(t, _)| *t);
            for (_, key) in &by_age[..excess] {
                self.map.remove(key);
            }
            tracing::warn!(
                dropped = excess,
                "login limiter full; dropped the oldest entries"
            );
        }
        self.next_prune = (self.map.len() + self.map.len() / 2).clamp(PRUNE_AT, MAX_KEYS);
    }
}

/// `base_delay * 2^exponent`, capped at `max_delay`, without overflow.
fn lockout(policy: &LimitPolicy, exponent: u32) -> Duration {
    1u32.checked_shl(exponent)
        .and_then(|factor| policy.base_delay.checked_mul(factor))
        .map_or(policy.max_delay, |d| d.min(policy.max_delay))
}

/// Case-insensitive, trimmed and bounded.
fn account_key(account: &str) -> String {
    let mut key = account.trim().to_lowercase();
    if key.len() > MAX_ACCOUNT_KEY_BYTES {
        let mut end = MAX_ACCOUNT_KEY_BYTES;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        key.truncate(end);
    }
    key
}

/// IPv4-mapped IPv6 counts as the IPv4 address; other IPv6 addresses count per /64.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

impl LoginLimiter {
    pub fn new(policy: LimitPolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(State::default()),
        }
    }

    /// Err(wait) when this account or this IP is currently locked out.
    #[cfg(test)]
    pub fn check(&self, ip: IpAddr, account: &str, now: Instant) -> Result<(), Duration> {
        let state = self.lock();
        let by_account = state.accounts.wait(&account_key(account), now);
        let by_ip = state.ips.wait(&ip_key(ip), now);
        match by_account.max(by_ip) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Starts a login attempt: Err(wait) when locked out, else the attempt is
    /// counted as a failure at once, under the same lock, so a burst of
    /// concurrent guesses cannot all pass the check before any is recorded.
    /// A correct password then takes the count back with [`Self::record_success`].
    pub fn attempt(&self, ip: IpAddr, account: &str, now: Instant) -> Result<(), Duration> {
        let policy = &self.policy;
        let mut state = self.lock();
        let key = account_key(account);
        let by_account = state.accounts.wait(&key, now);
        let by_ip = state.ips.wait(&ip_key(ip), now);
        if let Some(wait) = by_account.max(by_ip) {
            return Err(wait);
        }
        state
            .accounts
            .fail(key, now, policy.free_failures_per_account, policy);
        state
            .ips
            .fail(ip_key(ip), now, policy.free_failures_per_ip, policy);
        Ok(())
    }

    #[cfg(test)]
    pub fn record_failure(&self, ip: IpAddr, account: &str, now: Instant) {
        let policy = &self.policy;
        let mut state = self.lock();
        state.accounts.fail(
            account_key(account),
            now,
            policy.free_failures_per_account,
            policy,
        );
        state
            .ips
            .fail(ip_key(ip), now, policy.free_failures_per_ip, policy);
    }

    /// Clears the account's failures and takes back the one failure
    /// [`Self::attempt`] counted for the address. The address keeps its other
    /// failures: one correct password must not reset a spray across many accounts.
    pub fn record_success(&self, ip: IpAddr, account: &str) {
        let mut state = self.lock();
        state.accounts.map.remove(&account_key(account));
        if let Some(e) = state.ips.map.get_mut(&ip_key(ip)) {
            e.failures = e.failures.saturating_sub(1);
        }
    }

    /// The maps hold plain counters; a panic elsewhere leaves them consistent.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn free_failures_then_doubling_lockouts_capped() {
        let limiter = LoginLimiter::new(LimitPolicy::default());
        let t0 = Instant::now();
        for i in 0..5 {
            assert_eq!(
                limiter.check(ip(1), "a@x.cn", t0),
                Ok(()),
                "failure {i} is free"
            );
            limiter.record_failure(ip(1), "a@x.cn", t0);
        }
        assert_eq!(limiter.check(ip(1), "a@x.cn", t0), Ok(()));

        let mut now = t0;
        let mut expected = Vec::new();
        for n in 0..14 {
            limiter.record_failure(ip(1), "a@x.cn", now);
            let wait = limiter.check(ip(1), "a@x.cn", now).unwrap_err();
            expected.push(wait);
            assert_eq!(wait, (S * 2u32.pow(n)).min(Duration::from_secs(300)));
            // Just before the end still locked; at the end free again.
            assert!(
                limiter
                    .check(ip(1), "a@x.cn", now + wait - Duration::from_millis(1))
                    .is_err()
            );
            now += wait;
            assert_eq!(limiter.check(ip(1), "a@x.cn", now), Ok(()));
        }
        assert_eq!(&expected[..4], &[S, 2 * S, 4 * S, 8 * S]);
        assert_eq!(expected.last(), Some(&Duration::from_secs(5 * 60)));
    }

    #[test]
    fn success_resets_the_account_but_not_the_ip() {
        let limiter = LoginLimiter::new(LimitPolicy::default());
        let now = Instant::now();
        for _ in 0..6 {
            limiter.record_failure(ip(1), "a@x.cn", now);
        }
        assert!(limiter.check(ip(1), "a@x.cn", now).is_err());
        limiter.record_success(ip(1), "a@x.cn");
        assert_eq!(limiter.check(ip(1), "a@x.cn", now), Ok(()));
        // Five free failures again.
        for _ in 0..5 {
            limiter.record_failure(ip(1), "a@x.cn", now);
        }
        assert_eq!(limiter.check(ip(1), "a@x.cn", now), Ok(()));
        // The IP has 10 failures on record (the success took back the one
        // its attempt counted): 10 more free, then locked.
        for i in 0..11 {
            limiter.record_failure(ip(1), &format!("user{i}@x.cn"), now);
        }
        assert_eq!(limiter.check(ip(1), "fresh@x.cn", now), Err(S));
    }

    #[test]
    fn concurrent_attempts_cannot_all_pass_the_check() {
        let limiter = std::sync::Arc::new(LoginLimiter::new(LimitPolicy::default()));
        let now = Instant::now();
        let passed = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for i in 0..200u32 {
                let limiter = limiter.clone();
                let passed = &passed;
                scope.spawn(move || {
                    let from = IpAddr::from([198, 51, (i / 250) as u8, (i % 250) as u8]);
                    if limiter.attempt(from, "victim@x.cn", now).is_ok() {
                        passed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                });
            }
        });
        // Five free failures and the sixth, which starts the first lock-out.
        assert_eq!(passed.into_inner(), 6);
    }

    #[test]
    fn a_correct_password_takes_back_its_attempt() {
        let limiter = LoginLimiter::new(LimitPolicy::default());
        let now = Instant::now();
        for i in 0..30 {
            limiter.attempt(ip(1), &format!("u{i}@x.cn"), now).unwrap();
            limiter.record_success(ip(1), &format!("u{i}@x.cn"));
        }
        // Thirty colleagues behind one address signed in: nobody is locked out.
        assert_eq!(limiter.check(ip(1), "next@x.cn", now), Ok(()));
    }

    #[test]
    fn accounts_are_case_insensitive_and_trimmed() {
        let limiter = LoginLimiter::new(LimitPolicy::default());
        let now = Instant::now();
        for account in [
            "Alice@X.cn",
            " alice@x.cn ",
            "ALICE@X.CN",
            "alice@x.cn",
            "aLiCe@x.Cn",
            "alice@x.cn\t",
        ] {
            limiter.record_failure(ip(1), account, now);
        }
        assert_eq!(limiter.check(ip(2), "alice@x.cn", now), Err(S));
        limiter.record_success(ip(2), "  ALICE@x.cn");
        assert_eq!(limiter.check(ip(2), "alice@x.cn", now), Ok(()));
    }

    #[test]
    fn ip_limit_is_independent_of_accounts() {
        let limiter = LoginLimiter::new(LimitPolicy::default());
        let now = Instant::now();
        for i in 0..20 {
            limiter.record_failure(ip(1), &format!("user{i}@x.cn"), now);
        }
        assert_eq!(limiter.check(ip(1), "someone@x.cn", now), Ok(()));
        limiter.record_failure(ip(1), "user20@x.cn", now);
        assert_eq!(limiter.check(ip(1), "someone@x.cn", now), Err(S));
        // Another address may still try those accounts.
        assert_eq!(limiter.check(ip(2), "user3@x.cn", now), Ok(()));
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let limiter = LoginLimiter::new(LimitPolicy::default());
        let now = Instant::now();
        for i in 0..21u16 {
            let addr: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            limiter.record_failure(addr, &format!("u{i}@x.cn"), now);
        }
        let same_64: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limiter.check(same_64, "new@x.cn", now).is_err());
        assert_eq!(limiter.check(other_64, "new@x.cn", now), Ok(()));

        let mapped: IpAddr = "::ffff:192.0.2.9".parse().unwrap();
        for i in 0..21 {
            limiter.record_failure(mapped, &format!("v{i}@x.cn"), now);
        }
        assert!(limiter.check(ip(9), "new@x.cn", now).is_err());
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_period() {
        let policy = LimitPolicy::default();
        let limiter = LoginLimiter::new(policy.clone());
        let t0 = Instant::now();
        for _ in 0..5 {
            limiter.record_failure(ip(1), "a@x.cn", t0);
        }
        // Within the hour the count persists: the next failure locks.
        let t1 = t0 + Duration::from_secs(59 * 60);
        limiter.record_failure(ip(1), "a@x.cn", t1);
        assert_eq!(limiter.check(ip(1), "a@x.cn", t1), Err(S));
        // An hour after the last failure everything is forgotten.
        let t2 = t1 + policy.forget_after;
        for _ in 0..5 {
            limiter.record_failure(ip(1), "a@x.cn", t2);
        }
        assert_eq!(limiter.check(ip(1), "a@x.cn", t2), Ok(()));
        limiter.record_failure(ip(1), "a@x.cn", t2);
        assert_eq!(limiter.check(ip(1), "a@x.cn", t2), Err(S));
    }

    #[test]
    fn stale_entries_are_pruned_and_size_is_capped() {
        let policy = LimitPolicy::default();
        let limiter = LoginLimiter::new(policy.clone());
        let t0 = Instant::now();
        for i in 0..PRUNE_AT as u32 {
            limiter.record_failure(IpAddr::from(i.to_be_bytes()), &format!("u{i}"), t0);
        }
        assert_eq!(limiter.lock().accounts.map.len(), PRUNE_AT);
        let later = t0 + policy.forget_after;
        limiter.record_failure(ip(1), "late@x.cn", later);
        let state = limiter.lock();
        assert_eq!(state.accounts.map.len(), 1);
        assert_eq!(state.ips.map.len(), 1);
        drop(state);

        // A flood of fresh keys cannot grow a map past the cap.
        for i in 0..(MAX_KEYS as u32 + 10) {
            limiter.record_failure(ip(1), &format!("flood{i}"), later);
        }
        assert!(limiter.lock().accounts.map.len() <= MAX_KEYS);
    }

    #[test]
    fn long_accounts_are_bounded() {
        let long = "长".repeat(1000);
        assert!(account_key(&long).len() <= MAX_ACCOUNT_KEY_BYTES);
        assert_eq!(account_key(" A@B.cn "), "a@b.cn");
    }

    #[test]
    fn lockout_never_overflows() {
        let policy = LimitPolicy {
            max_delay: Duration::MAX,
            ..LimitPolicy::default()
        };
        assert_eq!(lockout(&policy, 0), S);
        assert_eq!(lockout(&policy, 40), Duration::MAX);
        assert_eq!(
            lockout(&LimitPolicy::default(), 31),
            Duration::from_secs(300)
        );
    }
}
