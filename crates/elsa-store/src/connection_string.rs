//! Connection strings as Elsa's users write them, parsed into [`DbSettings`].
//!
//! Three forms are accepted:
//! - Npgsql keyword strings: `Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=...`;
//! - Microsoft.Data.Sqlite keyword strings: `Data Source=/app/data/elsa.db;Mode=ReadWriteCreate`;
//! - URLs: `postgres://user:pass@host:5432/db?sslmode=require` and `sqlite:data/elsa.db?mode=rwc`.
//!
//! The keyword grammar is the one of .NET's `DbConnectionStringBuilder`: `;` separates pairs,
//! keywords are matched case- and space-insensitively (`SSL Mode` = `sslmode`), `==` in a keyword
//! is a literal `=`, a value may be quoted with `'` or `"` (doubling the quote escapes it), and a
//! later duplicate wins. We parse it ourselves because the crates that exist either keep inner
//! spaces in keywords, leave doubled quotes undecoded or reject non-ASCII passwords.
//!
//! Nothing here ever puts a value into an error or a warning: a value may be a password, and a
//! password with an unquoted `;` splits into pieces that look like keywords.

use std::borrow::Cow;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

use crate::settings::{
    DbSettings, PgSettings, Provider, SqliteMode, SqliteSettings, SslMode, TargetSession,
};

/// A parsed connection string and what was ignored in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub settings: DbSettings,
    /// One sentence per ignored keyword or URL parameter; safe to log.
    pub warnings: Vec<String>,
}

/// Why a connection string cannot be used. Every message is one sentence without any value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConnectionStringError {
    #[error("the connection string is empty")]
    Empty,
    #[error("part {index} of the connection string has no `=` between a keyword and its value")]
    MissingEquals { index: usize },
    #[error("part {index} of the connection string has an empty keyword")]
    EmptyKeyword { index: usize },
    #[error("the quoted value of `{key}` has no closing quote")]
    UnterminatedQuote { key: String },
    #[error("the quoted value of `{key}` is followed by more text before the next `;`")]
    TextAfterQuote { key: String },
    #[error("`{key}` must be {expected}")]
    InvalidValue { key: String, expected: &'static str },
    #[error(
        "the connection string sets both a PostgreSQL host (`{host_key}`) and a SQLite data source (`{source_key}`); keep one of them"
    )]
    MixedProviders {
        host_key: String,
        source_key: String,
    },
    #[error(
        "the connection string has neither a PostgreSQL `Host` nor a SQLite `Data Source`, so its database is unknown"
    )]
    NoProvider,
    #[error("the URL {reason}")]
    InvalidUrl { reason: &'static str },
}

type Result<T, E = ConnectionStringError> = std::result::Result<T, E>;

/// Parses any accepted form into typed settings.
pub fn parse(text: &str) -> Result<Parsed> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ConnectionStringError::Empty);
    }
    if let Some(rest) = strip_prefix_ignore_case(text, "postgresql://")
        .or_else(|| strip_prefix_ignore_case(text, "postgres://"))
    {
        return url::parse_postgres(rest);
    }
    if let Some(rest) = strip_prefix_ignore_case(text, "sqlite:") {
        return url::parse_sqlite(rest);
    }
    let pairs = tokenize(text)?;
    match keyword_provider(&pairs)? {
        Provider::PostgreSql => keywords::parse_postgres(&pairs),
        Provider::Sqlite => keywords::parse_sqlite(&pairs),
    }
}

/// Which database a connection string is for, without validating the rest of it.
/// `None` when it cannot be told (empty, malformed, or neither `Host` nor `Data Source`).
pub fn detect_provider(text: &str) -> Option<Provider> {
    let text = text.trim();
    if strip_prefix_ignore_case(text, "postgresql://").is_some()
        || strip_prefix_ignore_case(text, "postgres://").is_some()
    {
        return Some(Provider::PostgreSql);
    }
    if strip_prefix_ignore_case(text, "sqlite:").is_some() {
        return Some(Provider::Sqlite);
    }
    keyword_provider(&tokenize(text).ok()?).ok()
}

/// Quotes a value for a keyword connection string when it needs it, so that `parse` reads it back
/// unchanged (used to compose strings from parts, e.g. `DB_PASSWORD`). A leading `=` needs quotes
/// too: `Key==x` reads as the keyword `Key=x`.
pub fn quote(value: &str) -> Cow<'_, str> {
    let needs_quotes = value.is_empty()
        || value.contains(';')
        || value.starts_with(['\'', '"', '='])
        || value.trim() != value;
    if needs_quotes {
        Cow::Owned(format!("\"{}\"", value.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(value)
    }
}

/// The boolean spellings .NET's connection-string builders accept (`true`/`false`, `yes`/`no`),
/// plus `1`/`0`. Settings outside connection strings use the same set so there is one to learn.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// One `keyword=value` pair with the keyword as written (trimmed) and the value unquoted.
#[derive(Debug)]
struct Pair {
    key: String,
    value: String,
}

/// Splits keyword syntax into pairs. Empty values are dropped: `Password=;` means "not set".
fn tokenize(text: &str) -> Result<Vec<Pair>> {
    let mut pairs = Vec::new();
    let mut rest = text;
    let mut index = 0;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ';' || c.is_whitespace());
        if rest.is_empty() {
            return Ok(pairs);
        }
        index += 1;
        let (key, after_key) = read_key(rest, index)?;
        let (value, after_value) = read_value(after_key, &key)?;
        if !value.is_empty() {
            pairs.push(Pair { key, value });
        }
        rest = after_value;
    }
}

/// Reads up to the `=` that ends the keyword; `==` stands for a literal `=`.
fn read_key(text: &str, index: usize) -> Result<(String, &str)> {
    let mut key = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '=' if chars.peek().is_some_and(|&(_, next)| next == '=') => {
                chars.next();
                key.push('=');
            }
            '=' => {
                let key = key.trim();
                if key.is_empty() {
                    return Err(ConnectionStringError::EmptyKeyword { index });
                }
                return Ok((key.to_owned(), &text[at + 1..]));
            }
            ';' => break,
            _ => key.push(c),
        }
    }
    Err(ConnectionStringError::MissingEquals { index })
}

/// Reads a value up to the next `;` (or the end), unquoting `'…'` / `"…"`.
fn read_value<'a>(text: &'a str, key: &str) -> Result<(String, &'a str)> {
    let text = text.trim_start();
    let Some(quote) = text.chars().next().filter(|c| matches!(c, '\'' | '"')) else {
        let (value, rest) = text.split_once(';').unwrap_or((text, ""));
        return Ok((value.trim().to_owned(), rest));
    };
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((at, c)) = chars.next() {
        if c != quote {
            value.push(c);
        } else if chars.peek().is_some_and(|&(_, next)| next == quote) {
            chars.next();
            value.push(quote);
        } else {
            let rest = text[at + 1..].trim_start();
            return match rest.strip_prefix(';') {
                Some(rest) => Ok((value, rest)),
                None if rest.is_empty() => Ok((value, rest)),
                None => Err(ConnectionStringError::TextAfterQuote {
                    key: key.to_owned(),
                }),
            };
        }
    }
    Err(ConnectionStringError::UnterminatedQuote {
        key: key.to_owned(),
    })
}

/// Compares keywords the way the .NET builders do: case-insensitive, spaces ignored.
fn normalize_key(key: &str) -> String {
    key.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// `Host`/`Server` means Npgsql, `Data Source`/`DataSource`/`Filename` means SQLite.
fn keyword_provider(pairs: &[Pair]) -> Result<Provider> {
    let find = |aliases: &[&str]| {
        pairs
            .iter()
            .find(|p| aliases.contains(&normalize_key(&p.key).as_str()))
    };
    match (find(&["host", "server"]), find(&["datasource", "filename"])) {
        (Some(host), Some(source)) => Err(ConnectionStringError::MixedProviders {
            host_key: host.key.clone(),
            source_key: source.key.clone(),
        }),
        (Some(_), None) => Ok(Provider::PostgreSql),
        (None, Some(_)) => Ok(Provider::Sqlite),
        (None, None) => Err(ConnectionStringError::NoProvider),
    }
}

/// Typed readers shared by the keyword and URL forms; `key` is named in the error.
mod value {
    use super::*;

    pub(super) fn number<T: FromStr>(key: &str, text: &str, expected: &'static str) -> Result<T> {
        text.trim().parse().map_err(|_| invalid(key, expected))
    }

    pub(super) fn flag(key: &str, text: &str) -> Result<bool> {
        parse_bool(text).ok_or_else(|| invalid(key, "true or false"))
    }

    pub(super) fn ssl_mode(key: &str, text: &str) -> Result<SslMode> {
        // Npgsql writes `VerifyCA`, libpq `verify-ca`; accept both.
        let norm: String = text
            .chars()
            .filter(|c| !matches!(c, '-' | '_') && !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        Ok(match norm.as_str() {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verifyca" => SslMode::VerifyCa,
            "verifyfull" => SslMode::VerifyFull,
            _ => {
                return Err(invalid(
                    key,
                    "one of Disable, Allow, Prefer, Require, VerifyCA, VerifyFull",
                ));
            }
        })
    }

    /// Npgsql's `Timeout`: 1 to 1024 seconds (Npgsql's 0 = "forever" has no pool equivalent).
    pub(super) fn connect_timeout(key: &str, text: &str) -> Result<Duration> {
        const EXPECTED: &str = "a whole number of seconds from 1 to 1024";
        match number::<u64>(key, text, EXPECTED)? {
            secs @ 1..=1024 => Ok(Duration::from_secs(secs)),
            _ => Err(invalid(key, EXPECTED)),
        }
    }

    /// `Command Timeout`: seconds, 0 meaning no limit.
    pub(super) fn command_timeout(key: &str, text: &str) -> Result<Option<Duration>> {
        let secs: u64 = number(key, text, "a whole number of seconds (0 for no limit)")?;
        Ok((secs > 0).then(|| Duration::from_secs(secs)))
    }

    pub(super) fn port(key: &str, text: &str) -> Result<u16> {
        const EXPECTED: &str = "a port number from 1 to 65535";
        match number::<u16>(key, text, EXPECTED)? {
            0 => Err(invalid(key, EXPECTED)),
            port => Ok(port),
        }
    }

    /// `Host`: one or several hosts separated by commas, each possibly `host:port`.
    pub(super) fn hosts(key: &str, text: &str) -> Result<Vec<(String, Option<u16>)>> {
        text.split(',').map(|one| host(key, one.trim())).collect()
    }

    /// Several hosts with their ports (`default` where none is written): the first, the rest.
    pub(super) fn place_hosts(
        pg: &mut PgSettings,
        hosts: Vec<(String, Option<u16>)>,
        default: u16,
    ) {
        let mut hosts = hosts.into_iter();
        if let Some((host, port)) = hosts.next() {
            pg.host = host;
            pg.port = port.unwrap_or(default);
        }
        pg.failover_hosts = hosts.map(|(h, p)| (h, p.unwrap_or(default))).collect();
    }

    /// `Target Session Attributes`: those a server that writes can use.
    pub(super) fn target_session(key: &str, text: &str) -> Result<TargetSession> {
        match text.trim().to_ascii_lowercase().replace('-', "").as_str() {
            "any" => Ok(TargetSession::Any),
            "primary" => Ok(TargetSession::Primary),
            "readwrite" => Ok(TargetSession::ReadWrite),
            _ => Err(invalid(
                key,
                "any, primary or read-write (the server writes to its database, so a standby or read-only session cannot serve it)",
            )),
        }
    }

    /// One host, possibly `host:port` (Npgsql ≥ 6); a bare IPv6 address keeps its colons.
    fn host(key: &str, text: &str) -> Result<(String, Option<u16>)> {
        if text.is_empty() {
            return Err(invalid(key, "a host name, an address or [IPv6]:port"));
        }
        if let Some(bracketed) = text.strip_prefix('[') {
            let (addr, after) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid(key, "a host name, an address or [IPv6]:port"))?;
            let port = match after.strip_prefix(':') {
                Some(port) => Some(self::port(key, port)?),
                None if after.is_empty() => None,
                None => return Err(invalid(key, "a host name, an address or [IPv6]:port")),
            };
            return Ok((addr.to_owned(), port));
        }
        match text.split_once(':') {
            Some((host, port)) if !port.contains(':') => {
                Ok((host.to_owned(), Some(self::port(key, port)?)))
            }
            _ => Ok((text.to_owned(), None)),
        }
    }

    pub(super) fn invalid(key: &str, expected: &'static str) -> ConnectionStringError {
        ConnectionStringError::InvalidValue {
            key: key.to_owned(),
            expected,
        }
    }
}

/// The keyword forms of Npgsql and Microsoft.Data.Sqlite.
mod keywords {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum PgKey {
        Host,
        Port,
        Database,
        Username,
        Password,
        Pooling,
        MinPoolSize,
        MaxPoolSize,
        Timeout,
        CommandTimeout,
        SslMode,
        TrustServerCertificate,
        RootCertificate,
        SearchPath,
        ApplicationName,
        TargetSession,
    }

    /// Npgsql keywords and aliases, lower-case with spaces removed.
    const PG_KEYWORDS: &[(&str, PgKey)] = &[
        ("host", PgKey::Host),
        ("server", PgKey::Host),
        ("port", PgKey::Port),
        ("database", PgKey::Database),
        ("db", PgKey::Database),
        ("username", PgKey::Username),
        ("userid", PgKey::Username),
        ("uid", PgKey::Username),
        ("password", PgKey::Password),
        ("pwd", PgKey::Password),
        ("psw", PgKey::Password),
        ("pooling", PgKey::Pooling),
        ("minpoolsize", PgKey::MinPoolSize),
        ("minimumpoolsize", PgKey::MinPoolSize),
        ("maxpoolsize", PgKey::MaxPoolSize),
        ("maximumpoolsize", PgKey::MaxPoolSize),
        ("timeout", PgKey::Timeout),
        ("commandtimeout", PgKey::CommandTimeout),
        ("sslmode", PgKey::SslMode),
        ("trustservercertificate", PgKey::TrustServerCertificate),
        ("rootcertificate", PgKey::RootCertificate),
        ("searchpath", PgKey::SearchPath),
        ("applicationname", PgKey::ApplicationName),
        ("targetsessionattributes", PgKey::TargetSession),
    ];

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum SqliteKey {
        DataSource,
        Mode,
        Cache,
        DefaultTimeout,
    }

    /// Microsoft.Data.Sqlite keywords and aliases, lower-case with spaces removed.
    const SQLITE_KEYWORDS: &[(&str, SqliteKey)] = &[
        ("datasource", SqliteKey::DataSource),
        ("filename", SqliteKey::DataSource),
        ("mode", SqliteKey::Mode),
        ("cache", SqliteKey::Cache),
        ("defaulttimeout", SqliteKey::DefaultTimeout),
    ];

    /// Maps pairs to known keywords, the last of each winning; unknown ones become warnings.
    fn resolve<'p, K: Copy + Eq>(
        pairs: &'p [Pair],
        table: &[(&str, K)],
        warnings: &mut Vec<String>,
    ) -> Vec<(K, &'p Pair)> {
        let mut known: Vec<(K, &Pair)> = Vec::new();
        for pair in pairs {
            let norm = normalize_key(&pair.key);
            match table.iter().find(|(alias, _)| *alias == norm) {
                Some(&(_, key)) => match known.iter_mut().find(|(k, _)| *k == key) {
                    Some(slot) => slot.1 = pair,
                    None => known.push((key, pair)),
                },
                None => warnings.push(format!(
                    "the connection-string keyword `{}` is not supported and is ignored",
                    pair.key
                )),
            }
        }
        known
    }

    pub(super) fn parse_postgres(pairs: &[Pair]) -> Result<Parsed> {
        let mut warnings = Vec::new();
        let mut pg = PgSettings::default();
        let mut hosts = Vec::new();
        // Named in the error when the minimum exceeds the maximum, as the user spelled it.
        let mut min_key = "MinPoolSize";
        for (
            key,
            Pair {
                key: name,
                value: text,
            },
        ) in resolve(pairs, PG_KEYWORDS, &mut warnings)
        {
            let name = name.as_str();
            let text = text.as_str();
            match key {
                PgKey::Host => hosts = value::hosts(name, text)?,
                PgKey::Port => pg.port = value::port(name, text)?,
                PgKey::Database => pg.database = Some(text.to_owned()),
                PgKey::Username => pg.username = Some(text.to_owned()),
                PgKey::Password => pg.password = Some(text.to_owned()),
                PgKey::Pooling => pg.pooling = value::flag(name, text)?,
                PgKey::MinPoolSize => {
                    pg.min_pool_size = value::number(name, text, "a whole number")?;
                    min_key = name;
                }
                PgKey::MaxPoolSize => {
                    pg.max_pool_size = value::number(name, text, "a whole number from 1 up")?;
                    if pg.max_pool_size == 0 {
                        return Err(value::invalid(name, "a whole number from 1 up"));
                    }
                }
                PgKey::Timeout => pg.connect_timeout = value::connect_timeout(name, text)?,
                PgKey::CommandTimeout => pg.command_timeout = value::command_timeout(name, text)?,
                PgKey::SslMode => pg.ssl_mode = value::ssl_mode(name, text)?,
                PgKey::TrustServerCertificate => {
                    pg.trust_server_certificate = value::flag(name, text)?;
                }
                PgKey::RootCertificate => pg.root_certificate = Some(PathBuf::from(text)),
                PgKey::SearchPath => pg.search_path = Some(text.to_owned()),
                PgKey::ApplicationName => pg.application_name = Some(text.to_owned()),
                PgKey::TargetSession => pg.target_session = value::target_session(name, text)?,
            }
        }
        // Npgsql lets a port written with a host override `Port`.
        let port = pg.port;
        value::place_hosts(&mut pg, hosts, port);
        if pg.min_pool_size > pg.max_pool_size {
            return Err(value::invalid(
                min_key,
                "no larger than the maximum pool size",
            ));
        }
        Ok(Parsed {
            settings: DbSettings::PostgreSql(pg),
            warnings,
        })
    }

    pub(super) fn parse_sqlite(pairs: &[Pair]) -> Result<Parsed> {
        let mut warnings = Vec::new();
        let mut sqlite = SqliteSettings::default();
        for (
            key,
            Pair {
                key: name,
                value: text,
            },
        ) in resolve(pairs, SQLITE_KEYWORDS, &mut warnings)
        {
            let name = name.as_str();
            match key {
                SqliteKey::DataSource => sqlite.filename = text.clone(),
                SqliteKey::Mode => {
                    sqlite.mode = match normalize_key(text).as_str() {
                        "readwritecreate" => SqliteMode::ReadWriteCreate,
                        "readwrite" => SqliteMode::ReadWrite,
                        "readonly" => SqliteMode::ReadOnly,
                        "memory" => SqliteMode::Memory,
                        _ => {
                            return Err(value::invalid(
                                name,
                                "one of ReadWriteCreate, ReadWrite, ReadOnly, Memory",
                            ));
                        }
                    }
                }
                SqliteKey::Cache => {
                    sqlite.shared_cache = match normalize_key(text).as_str() {
                        "shared" => true,
                        "private" | "default" => false,
                        _ => return Err(value::invalid(name, "one of Shared, Private, Default")),
                    }
                }
                SqliteKey::DefaultTimeout => {
                    sqlite.busy_timeout = Duration::from_secs(value::number(
                        name,
                        text,
                        "a whole number of seconds",
                    )?);
                }
            }
        }
        Ok(Parsed {
            settings: DbSettings::Sqlite(sqlite),
            warnings,
        })
    }
}

/// The URL forms: libpq's `postgres://` URI and sqlx's `sqlite:` URL.
mod url {
    use super::*;

    fn invalid(reason: &'static str) -> ConnectionStringError {
        ConnectionStringError::InvalidUrl { reason }
    }

    fn percent_decode(text: &str) -> Result<String> {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| invalid("has a `%` that is not followed by two hex digits"))?;
                out.push(hex);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).map_err(|_| invalid("has percent-encoded bytes that are not UTF-8"))
    }

    /// `key=value` pairs of a query string, percent-decoded.
    fn query_pairs(query: &str) -> Result<Vec<(String, String)>> {
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                Ok((percent_decode(k)?, percent_decode(v)?))
            })
            .collect()
    }

    fn ignored(warnings: &mut Vec<String>, what: &str, name: &str) {
        warnings.push(format!(
            "the URL {what} `{name}` is not supported and is ignored"
        ));
    }

    /// `rest` is what follows `postgres://`: `[user[:password]@]host[:port][/database][?params]`.
    pub(super) fn parse_postgres(rest: &str) -> Result<Parsed> {
        let mut pg = PgSettings::default();
        let mut warnings = Vec::new();
        let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = before_query.split_once('/').unwrap_or((before_query, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        if let Some(userinfo) = userinfo {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            pg.username = Some(percent_decode(user)?).filter(|u| !u.is_empty());
            pg.password = password.map(percent_decode).transpose()?;
        }
        let mut hosts = Vec::new();
        if !hostport.is_empty() {
            hosts = value::hosts("host", &percent_decode(hostport)?)?;
        }
        pg.database = Some(percent_decode(path)?).filter(|d| !d.is_empty());
        for (key, text) in query_pairs(query)? {
            match key.as_str() {
                "host" => hosts = value::hosts(&key, &text)?,
                "target_session_attrs" => {
                    pg.target_session = value::target_session(&key, &text)?;
                }
                "port" => pg.port = value::port(&key, &text)?,
                "dbname" => pg.database = Some(text),
                "user" => pg.username = Some(text),
                "password" => pg.password = Some(text),
                "sslmode" => pg.ssl_mode = value::ssl_mode(&key, &text)?,
                "sslrootcert" => pg.root_certificate = Some(PathBuf::from(text)),
                "application_name" => pg.application_name = Some(text),
                "connect_timeout" => pg.connect_timeout = value::connect_timeout(&key, &text)?,
                "options" => parse_options(&text, &mut pg, &mut warnings),
                _ => ignored(&mut warnings, "parameter", &key),
            }
        }
        let port = pg.port;
        value::place_hosts(&mut pg, hosts, port);
        Ok(Parsed {
            settings: DbSettings::PostgreSql(pg),
            warnings,
        })
    }

    /// libpq's `options=-c search_path=x`; only `search_path` has a place in [`PgSettings`].
    fn parse_options(text: &str, pg: &mut PgSettings, warnings: &mut Vec<String>) {
        let mut words = text.split_whitespace();
        while let Some(word) = words.next() {
            let setting = match word {
                "-c" => words.next().unwrap_or_default(),
                _ => word
                    .strip_prefix("-c")
                    .or_else(|| word.strip_prefix("--"))
                    .unwrap_or(word),
            };
            match setting.split_once('=') {
                Some(("search_path", path)) => pg.search_path = Some(path.to_owned()),
                Some((name, _)) => ignored(warnings, "server option", name),
                None => ignored(warnings, "server option", setting),
            }
        }
    }

    /// `rest` is what follows `sqlite:`: `[//]path[?mode=rwc&cache=shared]`, as sqlx writes it.
    pub(super) fn parse_sqlite(rest: &str) -> Result<Parsed> {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err(invalid("names no database file"));
        }
        let mut sqlite = SqliteSettings {
            filename: percent_decode(path)?,
            ..SqliteSettings::default()
        };
        let mut warnings = Vec::new();
        for (key, text) in query_pairs(query)? {
            match (key.as_str(), text.as_str()) {
                ("mode", "rwc") => sqlite.mode = SqliteMode::ReadWriteCreate,
                ("mode", "rw") => sqlite.mode = SqliteMode::ReadWrite,
                ("mode", "ro") => sqlite.mode = SqliteMode::ReadOnly,
                ("mode", "memory") => sqlite.mode = SqliteMode::Memory,
                ("mode", _) => return Err(value::invalid(&key, "one of rwc, rw, ro, memory")),
                ("cache", "shared") => sqlite.shared_cache = true,
                ("cache", "private") => sqlite.shared_cache = false,
                ("cache", _) => return Err(value::invalid(&key, "shared or private")),
                _ => ignored(&mut warnings, "parameter", &key),
            }
        }
        Ok(Parsed {
            settings: DbSettings::Sqlite(sqlite),
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg_of(text: &str) -> PgSettings {
        match parse(text).expect("parses").settings {
            DbSettings::PostgreSql(pg) => pg,
            other => panic!("expected PostgreSQL, got {other:?}"),
        }
    }

    fn sqlite_of(text: &str) -> SqliteSettings {
        match parse(text).expect("parses").settings {
            DbSettings::Sqlite(s) => s,
            other => panic!("expected SQLite, got {other:?}"),
        }
    }

    fn error(text: &str) -> ConnectionStringError {
        parse(text).expect_err("must be rejected")
    }

    #[test]
    fn guide_pooling_string() {
        let text = "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=s3cret;Pooling=true;MinPoolSize=1;MaxPoolSize=20";
        let parsed = parse(text).unwrap();
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let DbSettings::PostgreSql(pg) = parsed.settings else {
            panic!()
        };
        assert_eq!(pg.host, "postgres");
        assert_eq!(pg.port, 5432);
        assert_eq!(pg.database.as_deref(), Some("elsa_workflows"));
        assert_eq!(pg.username.as_deref(), Some("elsa_user"));
        assert_eq!(pg.password.as_deref(), Some("s3cret"));
        assert!(pg.pooling);
        assert_eq!((pg.min_pool_size, pg.max_pool_size), (1, 20));
        assert_eq!(
            pg.to_string(),
            "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=***"
        );
    }

    #[test]
    fn guide_tls_string() {
        let pg = pg_of(
            "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=s3cret;SSL Mode=Require;Trust Server Certificate=false",
        );
        assert_eq!(pg.ssl_mode, SslMode::Require);
        assert!(!pg.trust_server_certificate);
    }

    #[test]
    fn guide_sqlite_string() {
        let s = sqlite_of("Data Source=/app/data/elsa.db");
        assert_eq!(s.filename, "/app/data/elsa.db");
        assert_eq!(s.mode, SqliteMode::ReadWriteCreate);
        assert_eq!(s.to_string(), "Data Source=/app/data/elsa.db");
    }

    #[test]
    fn guide_placeholder_password_is_just_text() {
        // The guide's literal `$(POSTGRES_PASSWORD)`: expanding it is configuration's job.
        let pg = pg_of("Host=postgres;Password=$(POSTGRES_PASSWORD)");
        assert_eq!(pg.password.as_deref(), Some("$(POSTGRES_PASSWORD)"));
    }

    #[test]
    fn keyword_spellings_are_case_and_space_insensitive() {
        for key in [
            "Username",
            "User Name",
            "User ID",
            "UserId",
            "UID",
            "  uSeR   nAmE ",
        ] {
            assert_eq!(
                pg_of(&format!("Host=h;{key}=bob")).username.as_deref(),
                Some("bob"),
                "{key}"
            );
        }
        for key in ["Password", "PWD", "psw"] {
            assert_eq!(
                pg_of(&format!("Server=h;{key}=pw")).password.as_deref(),
                Some("pw")
            );
        }
        for key in ["MinPoolSize", "Minimum Pool Size", "minpoolsize"] {
            assert_eq!(pg_of(&format!("Host=h;{key}=3")).min_pool_size, 3);
        }
        for key in ["MaxPoolSize", "Maximum Pool Size"] {
            assert_eq!(pg_of(&format!("Host=h;{key}=7")).max_pool_size, 7);
        }
        for key in ["SSL Mode", "SslMode", "sslmode"] {
            for (text, mode) in [
                ("VerifyCA", SslMode::VerifyCa),
                ("verify-full", SslMode::VerifyFull),
                ("disable", SslMode::Disable),
                ("Allow", SslMode::Allow),
                ("Prefer", SslMode::Prefer),
            ] {
                assert_eq!(pg_of(&format!("Host=h;{key}={text}")).ssl_mode, mode);
            }
        }
        assert_eq!(pg_of("Host=h;DB=x").database.as_deref(), Some("x"));
        for key in ["Data Source", "DataSource", "Filename", "data source"] {
            assert_eq!(sqlite_of(&format!("{key}=x.db")).filename, "x.db");
        }
    }

    #[test]
    fn all_npgsql_keywords() {
        let pg = pg_of(
            "Server=db.example;Port=6543;Timeout=30;Command Timeout=0;Root Certificate=/certs/ca.pem;Search Path=elsa,public;Application Name=elsa-rs;Trust Server Certificate=yes;Pooling=False",
        );
        assert_eq!(pg.host, "db.example");
        assert_eq!(pg.port, 6543);
        assert_eq!(pg.connect_timeout, Duration::from_secs(30));
        assert_eq!(pg.command_timeout, None);
        assert_eq!(pg.root_certificate, Some(PathBuf::from("/certs/ca.pem")));
        assert_eq!(pg.search_path.as_deref(), Some("elsa,public"));
        assert_eq!(pg.application_name.as_deref(), Some("elsa-rs"));
        assert!(pg.trust_server_certificate);
        assert!(!pg.pooling);
        assert_eq!(
            pg_of("Host=h;Command Timeout=45").command_timeout,
            Some(Duration::from_secs(45))
        );
    }

    #[test]
    fn host_with_port_overrides_port() {
        let pg = pg_of("Host=postgres:5433;Port=5999");
        assert_eq!((pg.host.as_str(), pg.port), ("postgres", 5433));
        let v6 = pg_of("Host=[::1]:5434");
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 5434));
        assert_eq!(pg_of("Host=::1").host, "::1");
    }

    #[test]
    fn quoting_and_escaping() {
        assert_eq!(
            pg_of(r#"Host=h;Password="a;b""c""#).password.as_deref(),
            Some(r#"a;b"c"#)
        );
        assert_eq!(
            pg_of("Host=h;Password='it''s;ok' ;Port=1")
                .password
                .as_deref(),
            Some("it's;ok")
        );
        assert_eq!(
            pg_of(r#"Host=h;Password='say "hi"'"#).password.as_deref(),
            Some(r#"say "hi""#)
        );
        assert_eq!(
            pg_of("Host=h;Password=\"  padded  \"").password.as_deref(),
            Some("  padded  ")
        );
        assert_eq!(
            pg_of("Host=h;Password=  trimmed  ").password.as_deref(),
            Some("trimmed")
        );
        assert_eq!(
            pg_of("Host=h;Password=pä$$wörd€").password.as_deref(),
            Some("pä$$wörd€")
        );
        assert_eq!(
            pg_of("Host=h;Password=a=b==c").password.as_deref(),
            Some("a=b==c")
        );
        // `==` in a keyword is a literal `=`; such a keyword is unknown, hence a warning.
        let parsed = parse("Host=h;a==b=c").unwrap();
        assert_eq!(
            parsed.warnings,
            ["the connection-string keyword `a=b` is not supported and is ignored"]
        );
    }

    #[test]
    fn separators_and_duplicates() {
        let pg = pg_of(" ; Host = first ;; Host=second; Username=u;User ID=later; ");
        assert_eq!(pg.host, "second");
        assert_eq!(pg.username.as_deref(), Some("later"));
        // An empty value means "not set".
        assert_eq!(pg_of("Host=h;Password=;").password, None);
    }

    #[test]
    fn unknown_keywords_warn_without_failing() {
        let parsed = parse("Host=h;Include Error Detail=true;Keepalive=10").unwrap();
        assert_eq!(parsed.warnings.len(), 2);
        assert!(parsed.warnings[0].contains("`Include Error Detail`"));
        let parsed = parse("Data Source=x.db;Foreign Keys=True").unwrap();
        assert_eq!(parsed.warnings.len(), 1);
    }

    #[test]
    fn bad_values_name_the_key() {
        let cases = [
            (
                "Host=h;Port=abc",
                "`Port` must be a port number from 1 to 65535",
            ),
            (
                "Host=h;Port=0",
                "`Port` must be a port number from 1 to 65535",
            ),
            ("Host=h;Pooling=maybe", "`Pooling` must be true or false"),
            (
                "Host=h;MinPoolSize=-1",
                "`MinPoolSize` must be a whole number",
            ),
            (
                "Host=h;MaxPoolSize=0",
                "`MaxPoolSize` must be a whole number from 1 up",
            ),
            (
                "Host=h;MinPoolSize=30;MaxPoolSize=20",
                "`MinPoolSize` must be no larger than the maximum pool size",
            ),
            (
                "Host=h;Timeout=0",
                "`Timeout` must be a whole number of seconds from 1 to 1024",
            ),
            (
                "Host=h;SSL Mode=Sometimes",
                "`SSL Mode` must be one of Disable, Allow, Prefer, Require, VerifyCA, VerifyFull",
            ),
            (
                "Host=h;Trust Server Certificate=1x",
                "`Trust Server Certificate` must be true or false",
            ),
            (
                "Data Source=x;Mode=Weird",
                "`Mode` must be one of ReadWriteCreate, ReadWrite, ReadOnly, Memory",
            ),
            (
                "Data Source=x;Cache=Big",
                "`Cache` must be one of Shared, Private, Default",
            ),
            (
                "Data Source=x;Default Timeout=soon",
                "`Default Timeout` must be a whole number of seconds",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(error(text).to_string(), message, "{text}");
        }
    }

    #[test]
    fn structural_errors() {
        assert_eq!(error("  "), ConnectionStringError::Empty);
        assert_eq!(
            error("Host=a,,b"),
            ConnectionStringError::InvalidValue {
                key: "Host".into(),
                expected: "a host name, an address or [IPv6]:port"
            }
        );
        assert!(
            error("Host=a,b;Target Session Attributes=standby")
                .to_string()
                .contains("any, primary or read-write")
        );
        assert_eq!(
            error("Host=h;oops"),
            ConnectionStringError::MissingEquals { index: 2 }
        );
        assert_eq!(
            error("Host=h;=x"),
            ConnectionStringError::EmptyKeyword { index: 2 }
        );
        assert_eq!(
            error("Host=h;Password='open"),
            ConnectionStringError::UnterminatedQuote {
                key: "Password".into()
            }
        );
        assert_eq!(
            error("Host=h;Password='a'b"),
            ConnectionStringError::TextAfterQuote {
                key: "Password".into()
            }
        );
        assert_eq!(
            error("Database=x;Username=y"),
            ConnectionStringError::NoProvider
        );
        assert!(matches!(
            error("Host=h;Data Source=x"),
            ConnectionStringError::MixedProviders { .. }
        ));
    }

    #[test]
    fn errors_never_contain_the_password() {
        let secret = "Sup3r;Secret";
        let texts = [
            format!("Host=h;Password={secret};Port=x"),
            format!("Host=h;Password='{secret}"),
            format!("Host=h;Password='{secret}'junk"),
            format!("Host=h;Password={secret}"),
            format!("postgres://u:{secret}@h:badport/db"),
            format!("postgres://u:{secret}%zz@h/db"),
        ];
        for text in texts {
            match parse(&text) {
                Ok(parsed) => {
                    for w in parsed.warnings {
                        assert!(!w.contains("Secret"), "{w}");
                    }
                    assert!(!parsed.settings.to_string().contains("Secret"));
                    assert!(!format!("{:?}", parsed.settings).contains("Secret"));
                }
                Err(e) => assert!(!e.to_string().contains("Secret"), "{e}"),
            }
        }
    }

    #[test]
    fn postgres_urls() {
        let pg = pg_of(
            "postgresql://elsa%40corp:p%C3%A4ss%3Aword@db.example:6000/elsa_workflows?sslmode=verify-full&application_name=elsa&options=-c%20search_path%3Delsa&connect_timeout=5",
        );
        assert_eq!(pg.username.as_deref(), Some("elsa@corp"));
        assert_eq!(pg.password.as_deref(), Some("päss:word"));
        assert_eq!((pg.host.as_str(), pg.port), ("db.example", 6000));
        assert_eq!(pg.database.as_deref(), Some("elsa_workflows"));
        assert_eq!(pg.ssl_mode, SslMode::VerifyFull);
        assert_eq!(pg.application_name.as_deref(), Some("elsa"));
        assert_eq!(pg.search_path.as_deref(), Some("elsa"));
        assert_eq!(pg.connect_timeout, Duration::from_secs(5));

        let minimal = pg_of("POSTGRES://postgres");
        assert_eq!(
            (minimal.host.as_str(), minimal.port, minimal.database),
            ("postgres", 5432, None)
        );
        let socket = pg_of("postgres:///elsa?host=/var/run/postgresql");
        assert_eq!(socket.host, "/var/run/postgresql");
        assert_eq!(socket.database.as_deref(), Some("elsa"));

        let parsed =
            parse("postgres://h/db?fallback_application_name=x&options=-c%20work_mem%3D4MB")
                .unwrap();
        assert_eq!(parsed.warnings.len(), 2);
        assert_eq!(
            error("postgres://h/db?sslmode=maybe").to_string(),
            "`sslmode` must be one of Disable, Allow, Prefer, Require, VerifyCA, VerifyFull"
        );
    }

    #[test]
    fn several_hosts_and_a_target_session() {
        let pg = pg_of(
            "Host=pg-0,pg-1:5433, [::1];Port=6432;Database=elsa;Target Session Attributes=Primary",
        );
        assert_eq!((pg.host.as_str(), pg.port), ("pg-0", 6432));
        assert_eq!(
            pg.failover_hosts,
            [("pg-1".to_owned(), 5433), ("::1".to_owned(), 6432)]
        );
        assert_eq!(pg.target_session, TargetSession::Primary);
        assert_eq!(
            pg.to_string(),
            "Host=pg-0,pg-1:5433,::1;Port=6432;Database=elsa;Target Session Attributes=primary"
        );
        assert_eq!(
            pg_of("Host=a,b;TargetSessionAttributes=read-write").target_session,
            TargetSession::ReadWrite
        );
        let url = pg_of("postgres://u@h1:5433,h2/db?target_session_attrs=primary");
        assert_eq!((url.host.as_str(), url.port), ("h1", 5433));
        assert_eq!(url.failover_hosts, [("h2".to_owned(), 5432)]);
        assert_eq!(url.target_session, TargetSession::Primary);
        // One host stays as it was.
        let one = pg_of("Host=h:5433");
        assert!(one.failover_hosts.is_empty());
        assert_eq!(one.target_session, TargetSession::Any);
    }

    #[test]
    fn sqlite_keywords_and_urls() {
        let s =
            sqlite_of("Data Source=elsa.sqlite.db;Cache=Shared;Mode=ReadOnly;Default Timeout=30");
        assert_eq!(s.filename, "elsa.sqlite.db");
        assert!(s.shared_cache);
        assert_eq!(s.mode, SqliteMode::ReadOnly);
        assert_eq!(s.busy_timeout, Duration::from_secs(30));
        assert_eq!(sqlite_of("Data Source=:memory:").filename, ":memory:");

        let s = sqlite_of("sqlite://data/elsa.db?mode=rw&cache=shared");
        assert_eq!(
            (s.filename.as_str(), s.mode, s.shared_cache),
            ("data/elsa.db", SqliteMode::ReadWrite, true)
        );
        assert_eq!(
            sqlite_of("sqlite:///app/data/elsa.db").filename,
            "/app/data/elsa.db"
        );
        assert_eq!(sqlite_of("sqlite::memory:").filename, ":memory:");
        assert_eq!(
            error("sqlite://"),
            ConnectionStringError::InvalidUrl {
                reason: "names no database file"
            }
        );
    }

    #[test]
    fn detects_the_provider() {
        assert_eq!(
            detect_provider("Host=postgres;Password=x"),
            Some(Provider::PostgreSql)
        );
        assert_eq!(
            detect_provider("server=postgres"),
            Some(Provider::PostgreSql)
        );
        assert_eq!(
            detect_provider("postgres://u@h/db"),
            Some(Provider::PostgreSql)
        );
        assert_eq!(
            detect_provider("Data Source=/app/data/elsa.db"),
            Some(Provider::Sqlite)
        );
        assert_eq!(detect_provider("sqlite:x.db"), Some(Provider::Sqlite));
        // Detection does not validate the rest.
        assert_eq!(
            detect_provider("Host=postgres;Port=nope"),
            Some(Provider::PostgreSql)
        );
        assert_eq!(detect_provider("Database=x"), None);
        assert_eq!(detect_provider(""), None);
        assert_eq!(detect_provider("Host='unterminated"), None);
    }

    #[test]
    fn booleans() {
        for t in ["true", "True", " TRUE ", "yes", "1"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for t in ["false", "No", "0"] {
            assert_eq!(parse_bool(t), Some(false), "{t}");
        }
        assert_eq!(parse_bool("on"), None);
    }

    /// Property-style round trip without a property-testing crate: a small deterministic
    /// generator builds settings with hostile text, we print them with [`quote`] under random
    /// keyword spellings and spacing, and parsing must give the same settings back.
    #[test]
    fn round_trip_with_hostile_values() {
        const TEXT: &[char] = &[
            'a', 'Z', '0', ' ', ';', '=', '\'', '"', 'ä', '€', '$', '(', ')', ',', '\t',
        ];
        const HOST: &[char] = &['a', 'b', '-', '.', '0', 'z'];
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let word = |alphabet: &[char], next: &mut dyn FnMut(usize) -> usize| -> String {
            let len = 1 + next(12);
            let s: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            // Whitespace-only values would be "not set"; keep one visible character.
            format!("{s}x")
        };
        let spellings = |key: &str| -> &'static [&'static str] {
            match key {
                "user" => &["Username", "User Name", "user id", "UID"],
                "password" => &["Password", "PWD", "psw"],
                "min" => &["MinPoolSize", "Minimum Pool Size"],
                _ => &["MaxPoolSize", "maximum pool size"],
            }
        };
        for _ in 0..300 {
            let expected = PgSettings {
                host: word(HOST, &mut next),
                port: 1 + next(65534) as u16,
                database: Some(word(TEXT, &mut next)),
                username: Some(word(TEXT, &mut next)),
                password: Some(word(TEXT, &mut next)),
                pooling: next(2) == 0,
                min_pool_size: next(5) as u32,
                max_pool_size: 5 + next(50) as u32,
                ..PgSettings::default()
            };
            let pad = |next: &mut dyn FnMut(usize) -> usize| " ".repeat(next(3));
            let mut pick = |key: &str| spellings(key)[next(spellings(key).len())];
            let (user_key, password_key, min_key, max_key) =
                (pick("user"), pick("password"), pick("min"), pick("max"));
            let text = format!(
                "Host={};Port={}{};Database{}={};{}={};{}={}; {}={};{}={};Pooling={}",
                expected.host,
                expected.port,
                pad(&mut next),
                pad(&mut next),
                quote(expected.database.as_deref().unwrap()),
                user_key,
                quote(expected.username.as_deref().unwrap()),
                password_key,
                quote(expected.password.as_deref().unwrap()),
                min_key,
                expected.min_pool_size,
                max_key,
                expected.max_pool_size,
                expected.pooling,
            );
            assert_eq!(pg_of(&text), expected, "{text}");
        }
    }
}
