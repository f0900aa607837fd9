//! Opening a database: sqlx pools built from [`DbSettings`].
//!
//! SQLite gets one *writer* connection and a small pool of readers: WAL lets readers run beside
//! the writer, and a single writer never meets `SQLITE_BUSY` on a lock upgrade. A third
//! connection checkpoints the WAL in the background ([`checkpoint_wal`]), so no commit pays for
//! copying the WAL into the database file.

use crate::Result;
use crate::settings::{
    DbSettings, PgSettings, SqliteMode, SqliteSettings, SqliteSync, SslMode, TargetSession,
};
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::time::Duration;

/// An open database of either kind.
#[derive(Clone, Debug)]
pub enum Database {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// Runs the same code against whichever pool a [`Database`] holds. The body is compiled once
/// per backend, so SQL written with `$n` placeholders serves both.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, read, |$pool:ident| $body:expr) => {
        match $db {
            $crate::pool::Database::Sqlite { read: $pool, .. } => $body,
            $crate::pool::Database::Postgres($pool) => $body,
        }
    };
    ($db:expr, write, |$pool:ident| $body:expr) => {
        match $db {
            $crate::pool::Database::Sqlite { write: $pool, .. } => $body,
            $crate::pool::Database::Postgres($pool) => $body,
        }
    };
}

impl Database {
    /// Opens pools for the settings. SQLite files and their folder are created when the mode
    /// allows it. Connections are made lazily for PostgreSQL so a server can start (and report
    /// not-ready) while the database is still coming up.
    pub async fn connect(settings: &DbSettings) -> Result<Self> {
        match settings {
            DbSettings::Sqlite(s) => Self::connect_sqlite(s).await,
            DbSettings::PostgreSql(p)
                if p.failover_hosts.is_empty() && p.target_session == TargetSession::Any =>
            {
                Ok(Self::Postgres(pg_pool(p).connect_lazy_with(pg_options(p))))
            }
            DbSettings::PostgreSql(p) => Ok(Self::Postgres(crate::failover::follow_hosts(p))),
        }
    }

    async fn connect_sqlite(s: &SqliteSettings) -> Result<Self> {
        let memory = s.filename == ":memory:" || s.mode == SqliteMode::Memory;
        let dir = Path::new(&s.filename)
            .parent()
            .filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir.filter(|_| !memory && s.mode == SqliteMode::ReadWriteCreate) {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        let base = sqlite_options(s);
        if memory {
            // A private in-memory database lives in one connection: share it for reads and writes.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(base)
                .await?;
            return Ok(Self::Sqlite {
                read: pool.clone(),
                write: pool,
            });
        }
        // The writer never checkpoints itself (SQLite's default does so inside the COMMIT that
        // crosses 1,000 pages, which made every such commit wait on a copy and an fsync).
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                base.clone()
                    .pragma("cache_size", WRITER_CACHE)
                    .pragma("wal_autocheckpoint", "0"),
            )
            .await?;
        if s.mode != SqliteMode::ReadOnly {
            tokio::spawn(checkpoint_wal(base.clone(), write.clone()));
        }
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(
                base.read_only(true)
                    .create_if_missing(false)
                    .pragma("cache_size", READER_CACHE),
            )
            .await?;
        Ok(Self::Sqlite { read, write })
    }

    /// Whether both are the same database, opened once (modules configured with the same
    /// connection share one `Database`): then one transaction can span both modules' tables.
    pub fn same_as(&self, other: &Database) -> bool {
        match (self, other) {
            (Self::Sqlite { write: a, .. }, Self::Sqlite { write: b, .. }) => {
                std::sync::Arc::ptr_eq(&a.connect_options(), &b.connect_options())
            }
            (Self::Postgres(a), Self::Postgres(b)) => {
                std::sync::Arc::ptr_eq(&a.connect_options(), &b.connect_options())
            }
            _ => false,
        }
    }

    /// Connections checked out of the pools right now (SQLite: the writer and the readers).
    pub fn connections_in_use(&self) -> usize {
        let in_use = |size: u32, idle: usize| (size as usize).saturating_sub(idle);
        match self {
            Self::Sqlite { write, read } => {
                in_use(write.size(), write.num_idle()) + in_use(read.size(), read.num_idle())
            }
            Self::Postgres(pool) => in_use(pool.size(), pool.num_idle()),
        }
    }

    /// `SELECT 1`: is the database reachable?
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, read, |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// [`Self::ping`] within `budget`; when the pool hands out no connection in time, the error
    /// says why a new one fails ([`Self::explain`]), so readiness can tell "Connection refused".
    pub async fn ping_within(&self, budget: Duration) -> Result<()> {
        let timed_out = || crate::StoreError::Database(sqlx::Error::PoolTimedOut);
        match tokio::time::timeout(budget, self.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(self.explain(error).await),
            Err(_) => Err(self.explain(timed_out()).await),
        }
    }

    /// When a PostgreSQL pool only says it timed out, why a new connection fails: the pool
    /// retries a refused connection until its acquire timeout and then reports the timeout
    /// alone, where an operator needs "Connection refused". Any other error, and a timeout
    /// whose direct attempt connects (the pool was merely busy) or times out too, is returned
    /// as it is.
    pub async fn explain(&self, error: crate::StoreError) -> crate::StoreError {
        let (Self::Postgres(pool), crate::StoreError::Database(sqlx::Error::PoolTimedOut)) =
            (self, &error)
        else {
            return error;
        };
        let options = pool.connect_options();
        let attempt = options.connect();
        match tokio::time::timeout(pool.options().get_acquire_timeout(), attempt).await {
            Ok(Err(cause)) => cause.into(),
            Ok(Ok(connection)) => {
                let _ = sqlx::Connection::close(connection).await;
                error
            }
            Err(_) => error,
        }
    }

    pub async fn close(&self) {
        match self {
            Self::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Self::Postgres(p) => p.close().await,
        }
    }
}

/// Page cache of the SQLite writer (negative: KiB), which grows to it only as pages are used.
/// SQLite's default, 2 MB, holds a few thousand instances' index pages: past that every change
/// reads its B-tree pages back from the file, and the one writer became the bottleneck (timers
/// due at 1,000/s fired 20 s late at p99 with the default, 29 ms with this; BENCHMARKS.md).
const WRITER_CACHE: &str = "-65536";
/// Page cache of each of the four SQLite readers.
const READER_CACHE: &str = "-16384";

/// How often the checkpointer copies committed WAL pages into the database file: often enough
/// that each pass is short and the WAL stays small (readers search it on every page they read).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Passes that find no new frames before the WAL counts as idle and is truncated.
const IDLE_PASSES: u32 = 10;

/// Checkpoints the WAL on a connection of its own until the writer's pool closes.
///
/// Each pass is `PASSIVE`: it copies what no reader still needs and never waits for, or
/// blocks, the writer or a reader. Once passes have found nothing new for a second (the
/// database is idle), one `TRUNCATE` checkpoint empties the WAL file, so an idle server's WAL
/// takes no disk space and the next writes start at its beginning. `TRUNCATE` must hold the
/// write lock and wait for readers; this connection never waits (no busy timeout), so when
/// anyone is busy it gives up at once and tries again after the next idle second, rather than
/// keep a writer waiting behind a long read.
async fn checkpoint_wal(options: SqliteConnectOptions, writer: SqlitePool) {
    let mut conn = match options.busy_timeout(Duration::ZERO).connect().await {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!("SQLite WAL checkpoints fall back to the writer: {e}");
            let _ = sqlx::query("PRAGMA wal_autocheckpoint = 1000")
                .execute(&writer)
                .await;
            return;
        }
    };
    let mut ticks = tokio::time::interval(CHECKPOINT_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut last_frames, mut quiet) = (0, 0);
    while !writer.is_closed() {
        ticks.tick().await;
        // (busy, frames in the WAL, frames checkpointed)
        let pass: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut conn)
            .await;
        let Ok((_, frames, _)) = pass else { continue };
        if frames != last_frames || frames == 0 {
            (last_frames, quiet) = (frames, 0);
            continue;
        }
        quiet += 1;
        if quiet >= IDLE_PASSES {
            quiet = 0;
            // (busy, frames, checkpointed); busy = 1 when it gave way to a reader or writer.
            let truncate: Result<(i64, i64, i64), _> =
                sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(&mut conn)
                    .await;
            if let Ok((0, _, _)) = truncate {
                last_frames = 0;
            }
        }
    }
    let _ = sqlx::Connection::close(conn).await;
}

fn sqlite_options(s: &SqliteSettings) -> SqliteConnectOptions {
    let memory = s.filename == ":memory:" || s.mode == SqliteMode::Memory;
    let opts = if memory {
        SqliteConnectOptions::new().in_memory(true)
    } else {
        SqliteConnectOptions::new()
            .filename(&s.filename)
            .journal_mode(SqliteJournalMode::Wal)
    };
    opts.create_if_missing(s.mode == SqliteMode::ReadWriteCreate)
        .read_only(s.mode == SqliteMode::ReadOnly)
        .shared_cache(s.shared_cache)
        .busy_timeout(s.busy_timeout)
        .synchronous(match s.synchronous {
            SqliteSync::Normal => SqliteSynchronous::Normal,
            SqliteSync::Full => SqliteSynchronous::Full,
        })
        // Sorts and statement journals in memory, not in temporary files.
        .pragma("temp_store", "MEMORY")
        .foreign_keys(true)
        .disable_statement_logging()
}

pub(crate) fn pg_pool(p: &PgSettings) -> PgPoolOptions {
    let (min, max) = if p.pooling {
        (p.min_pool_size, p.max_pool_size.max(1))
    } else {
        (0, 1)
    };
    PgPoolOptions::new()
        .min_connections(min.min(max))
        .max_connections(max)
        .acquire_timeout(p.connect_timeout)
}

/// sqlx connection options for the settings (also used for the migrator's own connection).
pub fn pg_options(p: &PgSettings) -> PgConnectOptions {
    let mut o = PgConnectOptions::new_without_pgpass()
        .host(&p.host)
        .port(p.port)
        .ssl_mode(pg_ssl_mode(p))
        .disable_statement_logging();
    if let Some(db) = &p.database {
        o = o.database(db);
    }
    if let Some(user) = &p.username {
        o = o.username(user);
    }
    if let Some(pw) = &p.password {
        o = o.password(pw);
    }
    if let Some(cert) = &p.root_certificate {
        o = o.ssl_root_cert(cert);
    }
    if let Some(app) = &p.application_name {
        o = o.application_name(app);
    }
    let mut server_options: Vec<(&str, String)> = Vec::new();
    if let Some(path) = &p.search_path {
        server_options.push(("search_path", path.clone()));
    }
    if let Some(t) = p.command_timeout.filter(|t| !t.is_zero()) {
        server_options.push(("statement_timeout", format!("{}ms", t.as_millis())));
    }
    // Our transactions never wait on the client between statements. One that does is a node
    // cut off mid-transaction: the server ends it, so the rows it locked (work being claimed,
    // an instance being written) come free for the other nodes instead of staying locked
    // until TCP gives up, hours later.
    server_options.push((
        "idle_in_transaction_session_timeout",
        format!("{}ms", IDLE_IN_TRANSACTION.as_millis()),
    ));
    o.options(server_options)
}

/// How long the server lets a transaction of ours wait on us (see `pg_options`).
const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(30);

fn pg_ssl_mode(p: &PgSettings) -> PgSslMode {
    match p.ssl_mode {
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Allow => PgSslMode::Allow,
        SslMode::Prefer => PgSslMode::Prefer,
        SslMode::Require => PgSslMode::Require,
        // Trust Server Certificate=true means: encrypt, but do not validate the certificate.
        SslMode::VerifyCa if p.trust_server_certificate => PgSslMode::Require,
        SslMode::VerifyFull if p.trust_server_certificate => PgSslMode::Require,
        SslMode::VerifyCa => PgSslMode::VerifyCa,
        SslMode::VerifyFull => PgSslMode::VerifyFull,
    }
}
