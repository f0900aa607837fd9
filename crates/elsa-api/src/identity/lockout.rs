//! Lockout after failed authentications: per client address (failed logins and refreshes, wrong
//! API keys, bearer tokens not signed with our key) and per user name (failed logins). Once a
//! client address or user name has failed `max` times within the window that began with its
//! first failure, further attempts are answered 429 (`Retry-After`) without being checked,
//! until that window has passed. Successful authentications do not count; tokens we signed
//! that are merely expired or of the wrong use do not either (a Studio with an expired token
//! is no guesser).
//!
//! Logins are admitted before their (slow) password check and count as failures until they
//! succeed, so concurrent guesses cannot overrun the limit. In memory, per node; each table is
//! capped, evicting finished windows first, then the oldest.

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::problem::ApiError;

/// The limits (`Elsa:Identity:Lockout:*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutOptions {
    /// Failures from one client address within the window before it is locked out.
    pub max_failures_per_address: u32,
    /// Failed logins naming one user within the window before that user name is locked out.
    pub max_failures_per_user: u32,
    /// How long a window lasts, from its first failure.
    pub window: Duration,
}

/// Default failures from one client address per window.
pub const DEFAULT_MAX_FAILURES_PER_ADDRESS: u32 = 10;
/// Default failed logins for one user name per window.
pub const DEFAULT_MAX_FAILURES_PER_USER: u32 = 5;
/// Default window.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);
/// Addresses and user names tracked at most, each: bounds memory whatever a client sends.
pub const MAX_TRACKED: usize = 10_000;

impl Default for LockoutOptions {
    fn default() -> Self {
        Self {
            max_failures_per_address: DEFAULT_MAX_FAILURES_PER_ADDRESS,
            max_failures_per_user: DEFAULT_MAX_FAILURES_PER_USER,
            window: DEFAULT_WINDOW,
        }
    }
}

/// The client's address as the lockout keys it: the TCP peer (an IPv6 address by its /64, which
/// one host usually holds whole). None when the server was not given connection info (an
/// in-process router in tests): then only user names are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    pub fn of(request: &Request) -> Self {
        Self::from_extensions(request.extensions())
    }

    fn from_extensions(extensions: &axum::http::Extensions) -> Self {
        Self(
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| normalise(addr.ip())),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_extensions(&parts.extensions))
    }
}

fn normalise(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

/// Failures in the current window, and logins admitted but not yet decided.
#[derive(Debug)]
struct Bucket {
    failures: u32,
    pending: u32,
    since: Instant,
}

struct Table<K> {
    max: u32,
    entries: HashMap<K, Bucket>,
}

impl<K: Hash + Eq + Clone> Table<K> {
    fn new(max: u32) -> Self {
        Self {
            max,
            entries: HashMap::new(),
        }
    }

    /// How long `key` stays locked out; `pending` counts undecided logins against the limit.
    fn locked_for(
        &mut self,
        key: &K,
        now: Instant,
        window: Duration,
        pending: bool,
    ) -> Option<Duration> {
        let bucket = self.entries.get_mut(key)?;
        if now.duration_since(bucket.since) >= window {
            bucket.failures = 0;
            bucket.since = now;
        }
        let used = bucket
            .failures
            .saturating_add(if pending { bucket.pending } else { 0 });
        if used < self.max {
            return None;
        }
        if bucket.failures >= self.max {
            Some(window.saturating_sub(now.duration_since(bucket.since)))
        } else {
            // Filled by logins still being checked: one of them decides within a second or so.
            Some(Duration::from_secs(1))
        }
    }

    fn bucket(&mut self, key: &K, now: Instant, window: Duration) -> &mut Bucket {
        if !self.entries.contains_key(key) && self.entries.len() >= MAX_TRACKED {
            self.entries
                .retain(|_, b| b.pending > 0 || now.duration_since(b.since) < window);
            if self.entries.len() >= MAX_TRACKED
                && let Some(oldest) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, b)| (b.pending > 0, b.since))
                    .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        let bucket = self.entries.entry(key.clone()).or_insert(Bucket {
            failures: 0,
            pending: 0,
            since: now,
        });
        if now.duration_since(bucket.since) >= window {
            bucket.failures = 0;
            bucket.since = now;
        }
        bucket
    }

    /// Counts a failure; true when it is the one that reaches the limit.
    fn fail(&mut self, key: &K, now: Instant, window: Duration) -> bool {
        let max = self.max;
        let bucket = self.bucket(key, now, window);
        if bucket.failures == 0 {
            bucket.since = now;
        }
        bucket.failures = bucket.failures.saturating_add(1);
        bucket.failures == max
    }

    fn forget_if_empty(&mut self, key: &K) {
        if self
            .entries
            .get(key)
            .is_some_and(|b| b.failures == 0 && b.pending == 0)
        {
            self.entries.remove(key);
        }
    }
}

struct Tables {
    addresses: Table<IpAddr>,
    users: Table<String>,
}

pub(crate) struct Lockout {
    window: Duration,
    tables: Mutex<Tables>,
}

/// A login admitted by [`Lockout::admit_login`]: it counts as a failure unless
/// [`LoginAttempt::release`] is called (also when the request is dropped mid-check).
pub(crate) struct LoginAttempt<'a> {
    lockout: &'a Lockout,
    addr: Option<IpAddr>,
    user: String,
    succeeded: bool,
}

impl LoginAttempt<'_> {
    /// Ends the attempt without counting a failure: it succeeded, or our side failed.
    pub(crate) fn release(mut self) {
        self.succeeded = true;
    }
}

impl Drop for LoginAttempt<'_> {
    fn drop(&mut self) {
        let user = std::mem::take(&mut self.user);
        self.lockout.finish_login(self.addr, user, self.succeeded);
    }
}

fn user_key(name: &str) -> String {
    name.trim().to_lowercase()
}

fn too_many(message: String, retry_after: Duration) -> ApiError {
    // Whole seconds, rounded up: a client retrying after Retry-After must find the window over.
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    ApiError::too_many_requests(
        format!("{message}; try again in {} s", secs.max(1)),
        Duration::from_secs(secs.max(1)),
    )
}

impl Lockout {
    pub(crate) fn new(options: LockoutOptions) -> Self {
        Self {
            window: options.window,
            tables: Mutex::new(Tables {
                addresses: Table::new(options.max_failures_per_address.max(1)),
                users: Table::new(options.max_failures_per_user.max(1)),
            }),
        }
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        // A panic while holding the lock leaves consistent counters: keep using them.
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn address_message(&self, max: u32) -> String {
        format!(
            "too many failed authentication attempts from this client address ({max} within {} s)",
            self.window.as_secs()
        )
    }

    /// 429 when the client address is locked out; checked before credentials are.
    pub(crate) fn check(&self, addr: ClientAddr) -> Result<(), ApiError> {
        self.check_at(addr, Instant::now())
    }

    fn check_at(&self, addr: ClientAddr, now: Instant) -> Result<(), ApiError> {
        let Some(ip) = addr.0 else { return Ok(()) };
        let mut tables = self.tables();
        let max = tables.addresses.max;
        match tables.addresses.locked_for(&ip, now, self.window, false) {
            Some(wait) => Err(too_many(self.address_message(max), wait)),
            None => Ok(()),
        }
    }

    /// Counts a failed authentication from the client address.
    pub(crate) fn record_failure(&self, addr: ClientAddr) {
        let Some(ip) = addr.0 else { return };
        let mut tables = self.tables();
        if tables.addresses.fail(&ip, Instant::now(), self.window) {
            let max = tables.addresses.max;
            drop(tables);
            tracing::warn!(
                client = %ip,
                "{max} failed authentications from {ip} within {} s: it is locked out until the window ends",
                self.window.as_secs()
            );
        }
    }

    /// Admits a login for `user` from `addr`, or answers 429 when either is locked out.
    pub(crate) fn admit_login(
        &self,
        addr: ClientAddr,
        user: &str,
    ) -> Result<LoginAttempt<'_>, ApiError> {
        let now = Instant::now();
        let user = user_key(user);
        let mut tables = self.tables();
        if let Some(ip) = addr.0 {
            let max = tables.addresses.max;
            if let Some(wait) = tables.addresses.locked_for(&ip, now, self.window, true) {
                return Err(too_many(self.address_message(max), wait));
            }
        }
        let max = tables.users.max;
        if let Some(wait) = tables.users.locked_for(&user, now, self.window, true) {
            return Err(too_many(
                format!(
                    "too many failed sign-in attempts for this user name ({max} within {} s)",
                    self.window.as_secs()
                ),
                wait,
            ));
        }
        if let Some(ip) = addr.0 {
            tables.addresses.bucket(&ip, now, self.window).pending += 1;
        }
        tables.users.bucket(&user, now, self.window).pending += 1;
        Ok(LoginAttempt {
            lockout: self,
            addr: addr.0,
            user,
            succeeded: false,
        })
    }

    fn finish_login(&self, addr: Option<IpAddr>, user: String, succeeded: bool) {
        let now = Instant::now();
        let mut tables = self.tables();
        let mut locked = Vec::new();
        if let Some(ip) = addr {
            if let Some(b) = tables.addresses.entries.get_mut(&ip) {
                b.pending = b.pending.saturating_sub(1);
            }
            if succeeded {
                tables.addresses.forget_if_empty(&ip);
            } else if tables.addresses.fail(&ip, now, self.window) {
                locked.push(format!("client address {ip}"));
            }
        }
        if let Some(b) = tables.users.entries.get_mut(&user) {
            b.pending = b.pending.saturating_sub(1);
        }
        if succeeded {
            tables.users.forget_if_empty(&user);
        } else if tables.users.fail(&user, now, self.window) {
            // Not the name itself: people type passwords into the user name field.
            let from = addr.map_or_else(String::new, |ip| format!(" (the last from {ip})"));
            locked.push(format!("a user name{from}"));
        }
        drop(tables);
        for what in locked {
            tracing::warn!(
                "Too many failed sign-ins for {what} within {} s: it is locked out until the window ends",
                self.window.as_secs()
            );
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> (usize, usize) {
        let tables = self.tables();
        (tables.addresses.entries.len(), tables.users.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn addr(last: u8) -> ClientAddr {
        ClientAddr(Some(IpAddr::from([10, 0, 0, last])))
    }

    fn lockout(window: Duration) -> Lockout {
        Lockout::new(LockoutOptions {
            max_failures_per_address: 3,
            max_failures_per_user: 2,
            window,
        })
    }

    #[test]
    fn an_address_is_locked_after_its_failures_and_others_are_not() {
        let l = lockout(Duration::from_secs(60));
        for _ in 0..3 {
            l.check(addr(1)).unwrap();
            l.record_failure(addr(1));
        }
        let err = l.check(addr(1)).unwrap_err();
        assert_eq!(err.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(err.message.contains("client address"), "{}", err.message);
        let retry = err.retry_after.unwrap();
        assert!(retry > Duration::from_secs(55) && retry <= Duration::from_secs(60));
        l.check(addr(2)).unwrap();
        l.check(ClientAddr(None)).unwrap();
    }

    #[test]
    fn the_window_ends_the_lockout() {
        let l = lockout(Duration::from_secs(60));
        for _ in 0..3 {
            l.record_failure(addr(1));
        }
        let now = Instant::now();
        assert!(l.check_at(addr(1), now).is_err());
        let wait = l.check_at(addr(1), now).unwrap_err().retry_after.unwrap();
        assert!(
            l.check_at(addr(1), now + wait - Duration::from_secs(2))
                .is_err()
        );
        l.check_at(addr(1), now + wait).unwrap();
        // The next failures start a new window.
        l.record_failure(addr(1));
        l.check(addr(1)).unwrap();
    }

    #[test]
    fn failed_logins_lock_the_user_name_from_any_address_and_successes_do_not_count() {
        let l = lockout(Duration::from_secs(60));
        for _ in 0..5 {
            l.admit_login(addr(1), "admin").unwrap().release();
        }
        assert_eq!(l.tracked(), (0, 0), "successes leave nothing behind");
        drop(l.admit_login(addr(1), "Admin").unwrap());
        drop(l.admit_login(addr(2), " admin").unwrap());
        let err = l.admit_login(addr(3), "admin").err().unwrap();
        assert_eq!(err.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(err.message.contains("user name"), "{}", err.message);
        l.admit_login(addr(3), "bob").unwrap().release();
    }

    #[test]
    fn concurrent_logins_cannot_overrun_the_limit() {
        let l = lockout(Duration::from_secs(60));
        let first = l.admit_login(addr(1), "a").unwrap();
        let second = l.admit_login(addr(1), "b").unwrap();
        let third = l.admit_login(addr(1), "c").unwrap();
        assert!(l.admit_login(addr(1), "d").is_err());
        first.release();
        let fourth = l.admit_login(addr(1), "d").unwrap();
        drop((second, third, fourth));
        let err = l.admit_login(addr(1), "e").err().unwrap();
        assert!(err.retry_after.unwrap() > Duration::from_secs(50));
    }

    #[test]
    fn the_tables_are_bounded() {
        let l = lockout(Duration::from_secs(60));
        for i in 0..(MAX_TRACKED as u32 + 50) {
            l.record_failure(ClientAddr(Some(IpAddr::from(i.to_be_bytes()))));
        }
        assert_eq!(l.tracked().0, MAX_TRACKED);
        // The newest is still tracked; the oldest went first.
        let newest = ClientAddr(Some(IpAddr::from((MAX_TRACKED as u32 + 49).to_be_bytes())));
        for _ in 0..2 {
            l.record_failure(newest);
        }
        assert!(l.check(newest).is_err());
    }

    #[test]
    fn ipv6_addresses_are_limited_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(normalise(a), normalise(b));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(normalise(mapped), IpAddr::from([10, 0, 0, 1]));
    }
}
