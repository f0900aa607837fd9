//! What the store needs to open a database: the provider and typed connection settings.
//!
//! The text forms (Npgsql keyword strings, `postgres://` URLs, `Data Source=` strings) are parsed
//! into these types by [`crate::connection_string`]; this module turns them into sqlx options.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The two databases elsa-rs runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Sqlite,
    PostgreSql,
}

impl Provider {
    /// The name Elsa uses, as printed in `Using PostgreSql provider for Management (...)`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "Sqlite",
            Self::PostgreSql => "PostgreSql",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// TLS mode of a PostgreSQL connection (libpq and Npgsql ≥ 6 semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    Disable,
    Allow,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Npgsql's `Target Session Attributes` (libpq's `target_session_attrs`): which server of
/// several hosts to use. Only those a server that writes can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetSession {
    /// The first host that answers.
    #[default]
    Any,
    /// The first that is not a standby (`pg_is_in_recovery()` is false).
    Primary,
    /// The first that accepts writes (`transaction_read_only` is off).
    ReadWrite,
}

impl TargetSession {
    pub fn name(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Primary => "primary",
            Self::ReadWrite => "read-write",
        }
    }
}

/// A PostgreSQL connection, as parsed from an Npgsql-style string or a URL.
#[derive(Clone, PartialEq)]
pub struct PgSettings {
    pub host: String,
    pub port: u16,
    /// Further hosts (`Host=pg-0,pg-1`): with the first, tried in order for one that matches
    /// `target_session`, and again whenever the one in use stops matching (a failover).
    pub failover_hosts: Vec<(String, u16)>,
    pub target_session: TargetSession,
    pub database: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub ssl_mode: SslMode,
    pub trust_server_certificate: bool,
    pub root_certificate: Option<PathBuf>,
    pub search_path: Option<String>,
    pub application_name: Option<String>,
    /// `Pooling=false` means one connection, never kept idle.
    pub pooling: bool,
    pub min_pool_size: u32,
    pub max_pool_size: u32,
    /// `Timeout`: how long to wait for a connection.
    pub connect_timeout: Duration,
    /// `Command Timeout`: sent as `statement_timeout`; zero means none.
    pub command_timeout: Option<Duration>,
}

/// A SQLite database, as parsed from a `Data Source=` string.
#[derive(Debug, Clone, PartialEq)]
pub struct SqliteSettings {
    /// The file, or `:memory:`.
    pub filename: String,
    pub mode: SqliteMode,
    pub shared_cache: bool,
    pub busy_timeout: Duration,
    /// `Elsa:Sqlite:Synchronous`: when a commit reaches the disk.
    pub synchronous: SqliteSync,
}

/// SQLite's `synchronous` in WAL mode: what a commit survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// The WAL is synced at checkpoints, not at each commit: a commit survives the process
    /// crashing (the OS has its pages), not the machine losing power before the next sync.
    #[default]
    Normal,
    /// Each commit syncs the WAL before it returns: it also survives a power loss, at the cost
    /// of one `fsync` per commit (shared by the commits a group writes together).
    Full,
}

/// Microsoft.Data.Sqlite's `Mode=` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteMode {
    #[default]
    ReadWriteCreate,
    ReadWrite,
    ReadOnly,
    Memory,
}

/// A database the store can open.
#[derive(Debug, Clone, PartialEq)]
pub enum DbSettings {
    Sqlite(SqliteSettings),
    PostgreSql(PgSettings),
}

impl DbSettings {
    pub fn provider(&self) -> Provider {
        match self {
            Self::Sqlite(_) => Provider::Sqlite,
            Self::PostgreSql(_) => Provider::PostgreSql,
        }
    }
}

impl Default for PgSettings {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 5432,
            failover_hosts: Vec::new(),
            target_session: TargetSession::Any,
            database: None,
            username: None,
            password: None,
            ssl_mode: SslMode::Prefer,
            trust_server_certificate: false,
            root_certificate: None,
            search_path: None,
            application_name: None,
            pooling: true,
            min_pool_size: 0,
            // Npgsql's default is 100, but a node needs few connections (commits are grouped,
            // engine work holds none) and replicas share the server's `max_connections`
            // (PostgreSQL's default: 100): three nodes at 20 leave room for a migration job,
            // psql and a fourth node during a rolling update. `Maximum Pool Size` overrides it.
            max_pool_size: 20,
            connect_timeout: Duration::from_secs(15),
            command_timeout: Some(Duration::from_secs(30)),
        }
    }
}

impl Default for SqliteSettings {
    fn default() -> Self {
        Self {
            filename: "data/elsa.db".into(),
            mode: SqliteMode::ReadWriteCreate,
            shared_cache: false,
            busy_timeout: Duration::from_secs(5),
            synchronous: SqliteSync::Normal,
        }
    }
}

/// Prints the connection with the password masked, in Npgsql keyword form:
/// `Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=***`.
impl fmt::Display for PgSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Host={}", self.host)?;
        for (host, port) in &self.failover_hosts {
            match *port == self.port {
                true => write!(f, ",{host}")?,
                false => write!(f, ",{host}:{port}")?,
            }
        }
        if self.port != 5432 {
            write!(f, ";Port={}", self.port)?;
        }
        if let Some(db) = &self.database {
            write!(f, ";Database={db}")?;
        }
        if let Some(user) = &self.username {
            write!(f, ";Username={user}")?;
        }
        if self.password.is_some() {
            f.write_str(";Password=***")?;
        }
        if self.target_session != TargetSession::Any {
            write!(
                f,
                ";Target Session Attributes={}",
                self.target_session.name()
            )?;
        }
        Ok(())
    }
}

/// Never prints the password, so a stray `{:?}` cannot leak it into a log.
impl fmt::Debug for PgSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("failover_hosts", &self.failover_hosts)
            .field("target_session", &self.target_session)
            .field("database", &self.database)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("ssl_mode", &self.ssl_mode)
            .field("pooling", &self.pooling)
            .field("min_pool_size", &self.min_pool_size)
            .field("max_pool_size", &self.max_pool_size)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for SqliteSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Data Source={}", self.filename)
    }
}

impl fmt::Display for DbSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(s) => s.fmt(f),
            Self::PostgreSql(p) => p.fmt(f),
        }
    }
}
