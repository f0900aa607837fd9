//! The HTTP listener: hyper's connection loop with the limits `axum::serve` does not offer.
//!
//! - A request's headers must arrive within `RequestHeadersTimeout` of its first byte (of the
//!   connection's opening, for the first request): a slowloris client is cut off.
//! - A connection with nothing in flight is closed after `KeepAliveTimeout` of silence.
//! - At most `MaxConcurrentConnections` are served. At the cap a new connection takes the slot
//!   of the one idle longest (nothing in flight; a slowloris socket is idle), so sockets held
//!   open cannot lock out a probe that connects and asks at once. When every connection has a
//!   request in progress, a few more are accepted in an overflow pool that answers one request
//!   each — the probes as usual, anything else 503 with `Retry-After` — and beyond that a
//!   connection is closed at once, so a flood never takes the descriptors liveness needs.
//! - At most `MaxConcurrentRequests` requests run at once; beyond it a request is answered 503
//!   with `Retry-After` without running. The probes are exempt.
//! - Accept errors (out of file descriptors) back off exponentially up to a second instead of
//!   spinning, and are logged once per episode.

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use elsa_api::problem::ApiError;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The limits of one listener (`Kestrel:Limits:*`, `Elsa:Http:*`).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub request_headers_timeout: Duration,
    pub keep_alive_timeout: Duration,
    pub max_connections: usize,
    pub max_requests: usize,
}

/// Connections accepted beyond the cap to answer one request each (a probe, or a 503).
const OVERFLOW_CONNECTIONS: usize = 64;

/// How long an overflow connection may take to send its one request.
const OVERFLOW_HEADERS_TIMEOUT: Duration = Duration::from_secs(2);

/// The `Retry-After` of a 503 for too many connections or requests.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` until `shutdown`, then lets the open connections finish their
/// requests (idle ones close at once) and returns when all have.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) {
    let connections = Arc::new(Mutex::new(Open::default()));
    let overflow = Arc::new(Semaphore::new(OVERFLOW_CONNECTIONS));
    let requests = Arc::new(Semaphore::new(limits.max_requests));
    let tracker = TaskTracker::new();
    let mut backoff = AcceptBackoff::default();
    loop {
        let accepted = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff.reset();
                accepted
            }
            Err(e) => {
                backoff.wait(&e).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            app: app.clone(),
            peer,
            requests: requests.clone(),
            shutdown: shutdown.clone(),
        };
        let admitted = connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .admit(limits.max_connections);
        if let Some((id, activity, evicted)) = admitted {
            let slot = Slot {
                id,
                activity,
                evicted,
                open: connections.clone(),
            };
            tracker.spawn(connection.serve(stream, limits, slot));
        } else if let Ok(permit) = overflow.clone().try_acquire_owned() {
            tracker.spawn(connection.serve_overflow(stream, permit));
        } else {
            // Beyond both pools: closed at once, so no descriptor stays taken.
            drop(stream);
        }
    }
    tracker.close();
    tracker.wait().await;
}

/// The connections being served, by number: what each is doing, and how to evict it.
#[derive(Default)]
struct Open {
    next: u64,
    connections: HashMap<u64, (Arc<Activity>, CancellationToken)>,
}

impl Open {
    /// A slot for a new connection: a free one, else the slot of the connection idle longest
    /// (which is told to close); none when every connection has a request in progress.
    fn admit(&mut self, max: usize) -> Option<(u64, Arc<Activity>, CancellationToken)> {
        if self.connections.len() >= max {
            let idlest = self
                .connections
                .iter()
                .filter_map(|(id, (activity, _))| activity.idle_since().map(|at| (at, *id)))
                .min()?
                .1;
            if let Some((_, evict)) = self.connections.remove(&idlest) {
                evict.cancel();
            }
        }
        self.next += 1;
        let activity = Arc::new(Activity::new());
        let evicted = CancellationToken::new();
        self.connections
            .insert(self.next, (activity.clone(), evicted.clone()));
        Some((self.next, activity, evicted))
    }
}

/// A connection's place among the [`Open`] ones; given back when the connection ends.
struct Slot {
    id: u64,
    activity: Arc<Activity>,
    evicted: CancellationToken,
    open: Arc<Mutex<Open>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.connections.remove(&self.id);
    }
}

/// What one accepted connection serves with.
struct Connection {
    app: Router,
    peer: SocketAddr,
    requests: Arc<Semaphore>,
    shutdown: CancellationToken,
}

impl Connection {
    async fn serve(self, stream: TcpStream, limits: ConnectionLimits, slot: Slot) {
        let activity = slot.activity.clone();
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: activity.clone(),
        });
        let service = self.service(Some(activity.clone()), false);
        let builder = Builder::new(TokioExecutor::new());
        let mut conn = pin!(builder.serve_connection(io, service));
        let mut closing = false;
        let mut next_check = Instant::now() + limits.request_headers_timeout;
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::trace!("connection from {} ended: {e}", self.peer);
                    }
                    return;
                }
                () = self.shutdown.cancelled(), if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                // Its slot went to a newer connection: it was idle, so nothing is cut short.
                () = slot.evicted.cancelled() => return,
                () = tokio::time::sleep_until(next_check) => {
                    match activity.verdict(Instant::now(), &limits) {
                        Verdict::Wait(until) => next_check = until,
                        Verdict::SlowHeaders => {
                            tracing::debug!(
                                "closed the connection from {}: no complete request headers within {} s",
                                self.peer,
                                limits.request_headers_timeout.as_secs()
                            );
                            return;
                        }
                        // Closed gracefully: a request that raced the timeout still completes;
                        // a connection that will not close is dropped one timeout later.
                        Verdict::Idle if closing => return,
                        Verdict::Idle => {
                            closing = true;
                            conn.as_mut().graceful_shutdown();
                            next_check = Instant::now() + limits.request_headers_timeout;
                        }
                    }
                }
            }
        }
    }

    /// One request, no keep-alive: the probes are served, anything else is told to come back.
    async fn serve_overflow(self, stream: TcpStream, _slot: OwnedSemaphorePermit) {
        let service = self.service(None, true);
        let mut builder = Builder::new(TokioExecutor::new());
        builder.http1().keep_alive(false);
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let _ = tokio::time::timeout(OVERFLOW_HEADERS_TIMEOUT, conn).await;
    }

    /// The app as hyper calls it: with the peer address (failed logins are limited per client
    /// address), the request cap, and the connection's in-flight count.
    fn service(
        &self,
        activity: Option<Arc<Activity>>,
        overflow: bool,
    ) -> TowerToHyperService<
        impl tower::Service<
            Request<Incoming>,
            Response = Response,
            Error = Infallible,
            Future = impl Future<Output = Result<Response, Infallible>> + Send + use<>,
        > + Clone
        + use<>,
    > {
        let app = self.app.clone();
        let peer = self.peer;
        let requests = self.requests.clone();
        TowerToHyperService::new(tower::service_fn(move |request: Request<Incoming>| {
            let app = app.clone();
            let requests = requests.clone();
            let in_flight = activity.as_ref().map(|a| a.request_started());
            async move {
                let _in_flight = in_flight;
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                let probe = request.uri().path().starts_with("/health/");
                if probe {
                    return tower::ServiceExt::oneshot(app, request).await;
                }
                if overflow {
                    return Ok(busy(
                        "the server has too many open connections; try again shortly",
                    ));
                }
                let Ok(_permit) = requests.try_acquire_owned() else {
                    return Ok(busy(
                        "the server has too many requests in progress; try again shortly",
                    ));
                };
                tower::ServiceExt::oneshot(app, request).await
            }
        }))
    }
}

fn busy(message: &str) -> Response {
    let mut error = ApiError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, message);
    error.retry_after = Some(RETRY_AFTER);
    error.into_response()
}

/// What a connection has been doing, in milliseconds since it opened; read by its watchdog.
struct Activity {
    opened: Instant,
    /// Requests running (HTTP/2 may run several).
    in_flight: AtomicUsize,
    /// When the first byte of a request not yet handed to the app arrived (`u64::MAX`: none).
    /// Starts at 0: the first request's headers are due from the connection's opening.
    head_started: AtomicU64,
    /// The last byte read or response finished.
    last_active: AtomicU64,
}

/// While a request runs: counted in flight, and its end is activity.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.last_active.store(self.0.now(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

enum Verdict {
    /// Fine until then.
    Wait(Instant),
    /// A request's headers are overdue.
    SlowHeaders,
    /// Silent with nothing in flight for the keep-alive timeout.
    Idle,
}

const NO_HEAD: u64 = u64::MAX;

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            head_started: AtomicU64::new(0),
            last_active: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn at(&self, millis: u64) -> Instant {
        self.opened + Duration::from_millis(millis)
    }

    /// When it fell idle, if nothing is in flight: the last byte read or response finished,
    /// or the first byte of headers still incomplete.
    fn idle_since(&self) -> Option<Instant> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let head = self.head_started.load(Ordering::Relaxed);
        let since = if head == NO_HEAD {
            self.last_active.load(Ordering::Relaxed)
        } else {
            head
        };
        Some(self.at(since))
    }

    fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.head_started.store(NO_HEAD, Ordering::Relaxed);
        InFlight(self.clone())
    }

    fn bytes_read(&self) {
        let now = self.now();
        self.last_active.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Relaxed) == 0 {
            let _ = self.head_started.compare_exchange(
                NO_HEAD,
                now,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    fn verdict(&self, now: Instant, limits: &ConnectionLimits) -> Verdict {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return Verdict::Wait(now + limits.keep_alive_timeout);
        }
        let head_started = self.head_started.load(Ordering::Relaxed);
        if head_started != NO_HEAD {
            let due = self.at(head_started) + limits.request_headers_timeout;
            return if now >= due {
                Verdict::SlowHeaders
            } else {
                Verdict::Wait(due)
            };
        }
        let due = self.at(self.last_active.load(Ordering::Relaxed)) + limits.keep_alive_timeout;
        if now >= due {
            Verdict::Idle
        } else {
            Verdict::Wait(due)
        }
    }
}

/// A socket that reports the bytes it reads to its connection's [`Activity`].
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Waits after a failed accept: 10 ms, doubling to 1 s while the failures last. Out of file
/// descriptors is a state that lasts until connections close, so it is logged once per episode.
#[derive(Default)]
struct AcceptBackoff {
    delay: Option<Duration>,
}

impl AcceptBackoff {
    fn reset(&mut self) {
        if self.delay.take().is_some() {
            tracing::info!("Accepting connections again");
        }
    }

    async fn wait(&mut self, error: &io::Error) {
        // The peer gave up before we took its connection: nothing is wrong here.
        if matches!(
            error.kind(),
            io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
        ) {
            return;
        }
        let delay = match self.delay {
            None => {
                tracing::warn!(
                    "Cannot accept connections: {error}; retrying with backoff (raise the open-file limit or lower Kestrel:Limits:MaxConcurrentConnections)"
                );
                Duration::from_millis(10)
            }
            Some(previous) => (previous * 2).min(Duration::from_secs(1)),
        };
        self.delay = Some(delay);
        tokio::time::sleep(delay).await;
    }
}

/// Raises the soft open-file limit to the hard one (the default soft limit of 1,024 is far
/// below what a server needs) and returns the soft limit now in force.
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit = raised;
                }
            }
        }
        Some(limit.rlim_cur)
    }
    #[cfg(not(unix))]
    None
}

/// Connections served at once when `Kestrel:Limits:MaxConcurrentConnections` is not set.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// The connection cap in force: the configured one (else [`DEFAULT_MAX_CONNECTIONS`]), lowered
/// so that the connections, the overflow pool and a reserve for database pools and files fit in
/// the open-file limit — at the cap, new connections are refused instead of failing to accept.
pub fn connection_cap(configured: Option<usize>, open_files: Option<u64>) -> usize {
    const RESERVE: u64 = 128;
    let wanted = configured.unwrap_or(DEFAULT_MAX_CONNECTIONS);
    let Some(open_files) = open_files else {
        return wanted;
    };
    let fits = open_files.saturating_sub(RESERVE + OVERFLOW_CONNECTIONS as u64);
    let fits = usize::try_from(fits).unwrap_or(usize::MAX).max(16);
    if configured.is_some_and(|c| c > fits) {
        tracing::warn!(
            "Kestrel:Limits:MaxConcurrentConnections is {wanted}, but the open-file limit of {open_files} fits {fits}; serving at most {fits}"
        );
    }
    wanted.min(fits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_fits_in_the_open_file_limit() {
        assert_eq!(connection_cap(None, Some(1_048_576)), 10_000);
        assert_eq!(connection_cap(None, Some(256)), 64);
        assert_eq!(connection_cap(Some(500), Some(256)), 64);
        assert_eq!(connection_cap(Some(500), None), 500);
        assert_eq!(connection_cap(None, Some(10)), 16);
    }

    #[test]
    fn at_the_cap_the_idlest_connection_gives_way_and_a_busy_one_never_does() {
        let mut open = Open::default();
        let (_, _first, first_evicted) = open.admit(2).unwrap();
        let (_, second, second_evicted) = open.admit(2).unwrap();
        let _busy = second.request_started();
        let (_, third, _) = open.admit(2).unwrap();
        assert!(first_evicted.is_cancelled());
        assert!(!second_evicted.is_cancelled());
        let _also_busy = third.request_started();
        assert!(open.admit(2).is_none(), "busy connections never give way");
    }

    #[test]
    fn a_silent_connection_owes_its_headers_and_an_idle_one_closes() {
        let limits = ConnectionLimits {
            request_headers_timeout: Duration::from_secs(30),
            keep_alive_timeout: Duration::from_secs(130),
            max_connections: 1,
            max_requests: 1,
        };
        let activity = Arc::new(Activity::new());
        let start = activity.opened;
        // Opened, nothing sent: the first request's headers are due 30 s after opening.
        assert!(
            matches!(activity.verdict(start, &limits), Verdict::Wait(t) if t == start + limits.request_headers_timeout)
        );
        assert!(matches!(
            activity.verdict(start + Duration::from_secs(31), &limits),
            Verdict::SlowHeaders
        ));
        // A request runs: nothing is due while it does.
        let running = activity.request_started();
        assert!(matches!(
            activity.verdict(start + Duration::from_secs(100), &limits),
            Verdict::Wait(_)
        ));
        drop(running);
        // Done, and silent since: idle once the keep-alive timeout has passed.
        let done = activity.at(activity.last_active.load(Ordering::Relaxed));
        assert!(matches!(
            activity.verdict(done + Duration::from_secs(129), &limits),
            Verdict::Wait(_)
        ));
        assert!(matches!(
            activity.verdict(done + Duration::from_secs(130), &limits),
            Verdict::Idle
        ));
    }
}
