//! Every configuration key the server reads, with its type, default and meaning: the one table
//! the sections read their keys from, [`sources::add_defaults`](super::sources) fills the
//! built-in defaults from, and `elsa-server config reference` (docs/configuration.md) prints.
//!
//! [`Configuration`](super::Configuration) is only read through a [`Key`], and a `Key` can only
//! be made by the `keys!` table below (its fields are private to this module), so a key the
//! server reads cannot be missing from the reference: that is checked by the compiler.

use super::check::bytes;

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// Levels joined by `:`, as in JSON; one level may be a placeholder such as `{Module}`.
    path: &'static str,
    kind: Kind,
    default: Fallback,
    meaning: &'static str,
}

/// What a value is written as.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Text,
    /// Never printed: `config check` only says whether it is set.
    Secret,
    Bool,
    /// A positive .NET time span, `[d.]hh:mm:ss`.
    TimeSpan,
    /// A positive whole number.
    Count,
    /// A positive whole number of bytes.
    Bytes,
    /// One of a fixed set of names, as the text lists them.
    OneOf(&'static str),
    ConnectionString,
    Path,
    /// `;`-separated `http://host:port` URLs.
    Urls,
    /// `;`-separated port numbers.
    Ports,
    /// Browser origins separated by `,` or `;`.
    Origins,
}

/// What holds when no source sets a key (or one sets it blank).
#[derive(Debug, Clone, Copy)]
pub enum Fallback {
    /// A value set before any file is read: `config check` shows it "from the built-in defaults".
    Value(&'static str),
    /// A number set before any file is read, where another crate owns the default.
    Number(usize),
    /// This many per CPU of the machine (or of the container's CPU limit).
    PerCpu(usize),
    /// Decided when the key is unset, as the text says.
    Rule(&'static str),
}

impl Key {
    /// The key with `:` between levels.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The key with its placeholder (`{Module}`, `{Name}`) replaced by `segment`.
    pub fn path_for(&self, segment: &str) -> String {
        let (head, rest) = self
            .path
            .split_once('{')
            .unwrap_or_else(|| panic!("{} has no placeholder", self.path));
        let tail = rest.split_once('}').map_or("", |(_, tail)| tail);
        format!("{head}{segment}{tail}")
    }

    /// The section a key with a trailing placeholder lists: `ConnectionStrings` for
    /// `ConnectionStrings:{Name}`.
    pub(super) fn parent(&self) -> &'static str {
        self.path
            .rsplit_once(":{")
            .filter(|(_, last)| last.ends_with('}') && !last.contains(':'))
            .map(|(parent, _)| parent)
            .unwrap_or_else(|| panic!("{} does not end with a placeholder", self.path))
    }

    pub fn fallback(&self) -> Fallback {
        self.default
    }

    /// The default as configuration text, for keys whose default is a value.
    pub(super) fn default_text(&self) -> Option<String> {
        match self.default {
            Fallback::Value(text) => Some(text.to_owned()),
            Fallback::Number(n) => Some(n.to_string()),
            Fallback::PerCpu(_) | Fallback::Rule(_) => None,
        }
    }

    /// How an environment variable spells the key: levels joined by `__`; the .NET host's own
    /// lower-case keys (`urls`, `http_ports`, `environment`) with the `ASPNETCORE_` prefix.
    pub fn env_name(&self) -> String {
        if self.path.chars().any(|c| c.is_ascii_uppercase()) {
            self.path.replace(':', "__")
        } else {
            format!("ASPNETCORE_{}", self.path.to_ascii_uppercase())
        }
    }
}

/// Declares each key as a constant and lists them by section, in order.
macro_rules! keys {
    ($(
        $section:literal {
            $( $name:ident = $path:literal, $kind:expr, $default:expr, $meaning:literal; )*
        }
    )*) => {
        $($(
            pub const $name: Key = Key {
                path: $path,
                kind: $kind,
                default: $default,
                meaning: $meaning,
            };
        )*)*

        /// Every key, by section, in the order the reference lists them.
        pub const SECTIONS: &[(&str, &[Key])] = &[$(($section, &[$($name),*])),*];
    };
}

use Fallback::{Number, PerCpu, Rule, Value};
use Kind::*;

keys! {
    "Host" {
        ENVIRONMENT = "environment", Text, Value("Production"),
            "Picks `appsettings.{Environment}.json`; Production refuses weak credentials. Also read from `DOTNET_ENVIRONMENT`, `ELSA_ENVIRONMENT`, `--environment`";
        URLS = "urls", Urls, Rule("unset: `http_ports` decides"),
            "Addresses to listen on, e.g. `http://+:8080` (`+`/`*`: every interface); wins over `http_ports`; also `--urls`; `https://` is refused (TLS ends at the ingress)";
        HTTP_PORTS = "http_ports", Ports, Value("8080"),
            "Ports to listen on, every interface, as the .NET 8 images set `ASPNETCORE_HTTP_PORTS=8080`";
        HTTPS_PORTS = "https_ports", Ports, Rule("unset"),
            "Ignored with a warning: elsa-rs serves plain HTTP";
        LOG_LEVEL = "Logging:LogLevel:Default", OneOf("`Trace`, `Debug`, `Information`, `Warning`, `Error`, `Critical`, `None`"), Value("Information"),
            "Least severe log level written to stderr";
        LOG_FORMAT = "Logging:Console:FormatterName", OneOf("`simple`, `json`"), Value("simple"),
            "How log lines are written: `simple` text, or `json`, one object per line for log collectors (the Kubernetes manifests set it)";
    }
    "Persistence (the guide's keys)" {
        CONNECTION_STRING = "ConnectionStrings:{Name}", ConnectionString, Rule("none: SQLite at `data/elsa.db` under the content root"),
            "A connection string: Npgsql keywords (`Host=…;Database=…;Username=…;Password=…`), a `postgres://` URL, or SQLite `Data Source=…`; `$(VAR)`/`${VAR}` are expanded from the environment, `$$(VAR)` is a literal";
        PROVIDER = "Elsa:Persistence:Provider", OneOf("`Sqlite`, `PostgreSql`, `EntityFrameworkCore.Sqlite`, `EntityFrameworkCore.PostgreSql` (also `Postgres`, `Npgsql`)"), Rule("inferred from the connection string"),
            "Provider of every module; one that contradicts the connection string stops the start";
        CONNECTION_STRING_NAME = "Elsa:Persistence:ConnectionStringName", Text, Rule("the one named after the provider, else `DefaultConnection`, else the only one"),
            "Which `ConnectionStrings:{Name}` every module uses";
        MODULE_PROVIDER = "Elsa:Modules:{Module}:Persistence:Provider", OneOf("as `Elsa:Persistence:Provider`"), Rule("`Elsa:Persistence:Provider`"),
            "Provider of the `Management` or `Runtime` module";
        MODULE_CONNECTION_STRING_NAME = "Elsa:Modules:{Module}:Persistence:ConnectionStringName", Text, Rule("`Elsa:Persistence:ConnectionStringName`"),
            "Connection string of the `Management` or `Runtime` module";
        AUTO_MIGRATE = "Elsa:AutoMigrate", Bool, Rule("`true` for SQLite, `false` for PostgreSQL"),
            "Apply pending migrations at start; otherwise run `elsa-server migrate` (Job or init container) and readiness waits for it";
        DB_HOST = "DB_HOST", Text, Rule("unset"),
            "With no connection string configured: compose a PostgreSQL one from `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USER`, `DB_PASSWORD`";
        DB_PORT = "DB_PORT", Count, Rule("`5432`"), "PostgreSQL port, with `DB_HOST`";
        DB_NAME = "DB_NAME", Text, Rule("the user name"), "PostgreSQL database, with `DB_HOST`";
        DB_USER = "DB_USER", Text, Rule("unset"), "PostgreSQL user, with `DB_HOST`";
        DB_PASSWORD = "DB_PASSWORD", Secret, Rule("unset"), "PostgreSQL password, with `DB_HOST`";
    }
    "SQLite" {
        SQLITE_SYNCHRONOUS = "Elsa:Sqlite:Synchronous", OneOf("`Normal`, `Full`"), Value("Normal"),
            "When a SQLite commit reaches the disk. `Normal`: the WAL is synced at checkpoints, so a commit survives a crash of the process but not a power loss in the next moments; `Full`: every commit is synced before it is answered (one `fsync` per group of concurrent commits)";
    }
    "Identity" {
        IDENTITY_ENABLED = "Elsa:Identity:Enabled", Bool, Value("true"),
            "`false` makes the API anonymous (warned at every start)";
        API_KEY = "Elsa:Identity:ApiKey", Secret, Rule("none: one is generated at first start and shown once"),
            "An API key granting every permission (`Authorization: ApiKey …`); Production: at least 32 characters";
        SIGNING_KEY = "Elsa:Identity:Tokens:SigningKey", Secret, Rule("generated once per database, stored in `Elsa_ServerSecrets`"),
            "HS256 key of the JWTs; Production: at least 32 characters, not an example value";
        ISSUER = "Elsa:Identity:Tokens:Issuer", Text, Value("http://elsa.api"), "`iss` of the tokens issued and required";
        AUDIENCE = "Elsa:Identity:Tokens:Audience", Text, Value("http://elsa.api"), "`aud` of the tokens issued and required";
        ACCESS_TOKEN_LIFETIME = "Elsa:Identity:Tokens:AccessTokenLifetime", TimeSpan, Value("01:00:00"), "Lifetime of an access token";
        REFRESH_TOKEN_LIFETIME = "Elsa:Identity:Tokens:RefreshTokenLifetime", TimeSpan, Value("02:00:00"), "Lifetime of a refresh token";
        ADMIN_USER = "Elsa:Identity:AdminUser", Text, Value("admin"), "The user with role `admin` created at first start";
        ADMIN_PASSWORD = "Elsa:Identity:AdminPassword", Secret, Rule("generated at first start and shown once"),
            "Password of that user; Production: at least 12 characters, not a common password";
        LOCKOUT_PER_ADDRESS = "Elsa:Identity:Lockout:MaxFailuresPerAddress", Count, Number(elsa_api::identity::lockout::DEFAULT_MAX_FAILURES_PER_ADDRESS as usize),
            "Failed authentications from one client address within the window before 429";
        LOCKOUT_PER_USER = "Elsa:Identity:Lockout:MaxFailuresPerUser", Count, Number(elsa_api::identity::lockout::DEFAULT_MAX_FAILURES_PER_USER as usize),
            "Failed logins for one user name within the window before 429";
        LOCKOUT_WINDOW = "Elsa:Identity:Lockout:Window", TimeSpan, Value("00:01:00"), "The lockout window, from its first failure";
    }
    "API, Studio and CORS" {
        FAIL_ON_VALIDATION_ERRORS = "Elsa:Management:FailOnValidationErrors", Bool, Value("true"),
            "A publish with validation errors fails; `false`: it succeeds and returns them as warnings";
        FLOWCHART_MODE = "Elsa:Flowchart:DefaultExecutionMode", OneOf("`CounterBased` or `TokenBased`"), Value("CounterBased"),
            "How flowcharts join";
        CORS_ALLOWED_ORIGINS = "Elsa:Cors:AllowedOrigins", Origins, Rule("any origin"),
            "Browser origins allowed to call the API (`https://a,https://b`, or `*`)";
        CORS_ALLOWED_ORIGIN_ITEMS = "Elsa:Cors:AllowedOrigins:{Index}", Origins, Rule("none"),
            "The same as a JSON array (`\"AllowedOrigins\": [\"https://a\"]`, or `Elsa__Cors__AllowedOrigins__0`)";
        STUDIO_PATH = "Elsa:Studio:Path", Path, Rule("`data/studio/3.8.2` under the content root"),
            "Where the Studio is installed (`elsa-server studio install`) and served from";
    }
    "HTTP limits" {
        REQUEST_HEADERS_TIMEOUT = "Kestrel:Limits:RequestHeadersTimeout", TimeSpan, Value("00:00:30"),
            "A request's headers must arrive within this";
        KEEP_ALIVE_TIMEOUT = "Kestrel:Limits:KeepAliveTimeout", TimeSpan, Value("00:02:10"),
            "An idle connection is closed after this";
        MAX_CONNECTIONS = "Kestrel:Limits:MaxConcurrentConnections", Count, Rule("10000, lowered to fit the open-file limit"),
            "Connections served at once; beyond it the idlest gives way, or 503";
        MAX_REQUESTS = "Elsa:Http:MaxConcurrentRequests", Count, PerCpu(128),
            "Requests in progress at once (the probes not counted); beyond it 503 with `Retry-After`";
        MAX_BODY = "Kestrel:Limits:MaxRequestBodySize", Bytes, Number(elsa_api::BodyLimits::DEFAULT.max_body),
            "Largest request body but the imports (identity routes: 16 KiB); beyond it 413";
        MAX_IMPORT = "Elsa:Http:MaxImportSize", Bytes, Number(elsa_api::BodyLimits::DEFAULT.max_import),
            "Largest upload to the import routes";
        MAX_JSON_DEPTH = "Elsa:Http:MaxJsonDepth", Count, Number(elsa_model::JsonLimits::DEFAULT.max_depth),
            "Deepest nesting of a JSON body; beyond it 400";
        MAX_JSON_ELEMENTS = "Elsa:Http:MaxJsonElements", Count, Number(elsa_model::JsonLimits::DEFAULT.max_elements),
            "Most values in a JSON body; beyond it 413";
    }
    "Runtime" {
        NODE_ID = "Elsa:Runtime:NodeId", Text, Rule("`POD_NAME`, else `HOSTNAME`, else generated"),
            "This node's name in work leases and the node list; each replica needs its own";
        ENGINE_THREADS = "Elsa:Runtime:EngineThreads", Count, PerCpu(1), "Threads runs execute on";
        WORKERS = "Elsa:Runtime:Workers", Count, PerCpu(16), "Work items the background worker runs at once";
        MAX_RUN_DURATION = "Elsa:Runtime:MaxRunDuration", TimeSpan, Value("00:00:30"),
            "Wall-clock budget of one run; a run past it faults with an incident";
        MAX_ACTIVITY_EXECUTIONS = "Elsa:Runtime:MaxActivityExecutionsPerRun", Count, Number(elsa_engine::DEFAULT_MAX_ACTIVITY_EXECUTIONS),
            "Activities one run may execute";
        MAX_JOURNAL_ENTRIES = "Elsa:Runtime:MaxJournalEntriesPerRun", Count, Number(elsa_engine::DEFAULT_MAX_JOURNAL_ENTRIES_PER_RUN),
            "Execution log entries one run may write";
        MAX_JOURNAL_BYTES = "Elsa:Runtime:MaxJournalBytesPerRun", Bytes, Number(elsa_engine::DEFAULT_MAX_JOURNAL_BYTES_PER_RUN),
            "Estimated bytes of execution log one run may write";
        MAX_ACTIVITY_RECORDS = "Elsa:Runtime:MaxActivityRecordsPerRun", Count, Number(elsa_engine::DEFAULT_MAX_ACTIVITY_RECORDS_PER_RUN),
            "Activity execution records one run may write";
        MAX_STATE_SIZE = "Elsa:Runtime:MaxStateSize", Bytes, Number(elsa_engine::DEFAULT_MAX_STATE_SIZE),
            "Estimated size of the workflow state a run may leave";
        MAX_UNCOMMITTED_RUN_MEMORY = "Elsa:Runtime:MaxUncommittedRunMemory", Bytes, Number(elsa_runtime::DEFAULT_MAX_UNCOMMITTED_RUN_MEMORY),
            "Memory finished runs may hold until their commits before no new run starts";
        SHUTDOWN_DELAY = "Elsa:Runtime:ShutdownDelay", TimeSpan, Value("00:00:00"),
            "After SIGTERM, how long the server stays up not ready and serving while load balancers drop it (Kubernetes: 5 s), before it drains";
        SHUTDOWN_TIMEOUT = "Elsa:Runtime:ShutdownTimeout", TimeSpan, Value("00:00:20"),
            "How long SIGTERM waits for requests and work in hand (below Kubernetes' 30 s grace period)";
        LEASE_DURATION = "Elsa:Runtime:LeaseDuration", TimeSpan, Value("00:00:20"),
            "Lease of a claimed work item: a dead node's work is taken over within this plus the 5 s poll";
        MAX_ATTEMPTS = "Elsa:Runtime:MaxAttempts", Count, Value("10"), "Attempts of a work item before it is dead-lettered";
        HTTP_REQUEST_TIMEOUT = "Elsa:Runtime:HttpRequestTimeout", TimeSpan, Value("00:01:40"), "Timeout of `SendHttpRequest`";
    }
    "Retention" {
        FINISHED_INSTANCE_TTL = "Elsa:Retention:FinishedInstanceTtl", TimeSpan, Rule("unset: finished instances are kept"),
            "Finished instances older than this are deleted";
        SWEEP_INTERVAL = "Elsa:Retention:SweepInterval", TimeSpan, Value("01:00:00"), "How often the retention sweep runs";
    }
}

/// docs/configuration.md: the table above as Markdown.
pub fn reference() -> String {
    let mut out = String::from(
        "<!-- Generated by `elsa-server config reference` from crates/elsa-server/src/config/keys.rs; do not edit. \
         Regenerate: UPDATE_DOCS=1 cargo test -p elsa-server --lib config::keys -->\n\n\
         # Configuration reference\n\n\
         Every key elsa-server reads. Sources, lowest first: the defaults below < `appsettings.json` < \
         `appsettings.{Environment}.json` (both in the working directory) < environment variables < \
         command-line `--Key=Value`. Keys are case-insensitive; an environment variable writes `__` \
         (or `:`) between levels and a blank value unsets the key; `{Name}`, `{Module}` (`Management` \
         or `Runtime`) and `{Index}` stand for one level. `elsa-server config check` prints the value \
         each key has and where it came from.\n",
    );
    for (section, keys) in SECTIONS {
        out.push_str(&format!(
            "\n## {section}\n\n| key | environment variable | type | default | meaning |\n|---|---|---|---|---|\n"
        ));
        for key in *keys {
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {} | {} |\n",
                key.path,
                key.env_name(),
                key.kind.describe(),
                key.default.describe(key.kind),
                key.meaning
            ));
        }
    }
    out
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Text => "text",
            Secret => "text, secret",
            Bool => "`true` / `false`",
            TimeSpan => "time span `[d.]hh:mm:ss`",
            Count => "whole number > 0",
            Bytes => "bytes > 0",
            OneOf(names) => names,
            ConnectionString => "connection string, secret",
            Path => "path, relative to the content root",
            Urls => "`;`-separated URLs",
            Ports => "`;`-separated ports",
            Origins => "origins",
        }
    }
}

impl Fallback {
    fn describe(self, kind: Kind) -> String {
        match (self, kind) {
            (Number(n), Bytes) => format!("`{n}` ({})", bytes(n)),
            (Number(n), _) => format!("`{n}`"),
            (Value(text), _) => format!("`{text}`"),
            (PerCpu(n), _) => format!("{n} per CPU"),
            (Rule(text), _) => text.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::path::Path;

    use super::*;
    use crate::config::sources::{Configuration, Source, add_environment};

    /// docs/configuration.md is this table rendered; `UPDATE_DOCS=1` rewrites it.
    #[test]
    fn the_checked_in_reference_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
        let rendered = reference();
        if std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1") {
            std::fs::write(&path, &rendered).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == rendered,
            "docs/configuration.md is stale: the configuration keys changed; regenerate it with\n  UPDATE_DOCS=1 cargo test -p elsa-server --lib config::keys\nand commit it"
        );
    }

    #[test]
    fn paths_are_unique_and_cells_fit_a_table() {
        let mut seen = HashSet::new();
        for (_, keys) in SECTIONS {
            for key in *keys {
                assert!(seen.insert(key.path.to_lowercase()), "{} twice", key.path);
                assert!(!key.meaning.contains('|'), "{}", key.path);
            }
        }
    }

    /// A placeholder level as the tests fill it in.
    const SEGMENT: &str = "Management";

    fn filled(text: &str) -> String {
        match text.split_once('{') {
            Some((head, rest)) => format!("{head}{SEGMENT}{}", rest.split_once('}').unwrap().1),
            None => text.to_owned(),
        }
    }

    /// Each key's documented environment variable reaches it.
    #[test]
    fn every_environment_spelling_reaches_its_key() {
        for (_, keys) in SECTIONS {
            for key in *keys {
                let name = filled(&key.env_name());
                let mut config = Configuration::default();
                add_environment(&mut config, &HashMap::from([(name.clone(), "x".into())]));
                let entry = if key.path.contains('{') {
                    config.entry_for(key, SEGMENT)
                } else {
                    config.entry(key)
                };
                let entry = entry.unwrap_or_else(|| panic!("{name} does not reach {}", key.path));
                assert_eq!(entry.source, Source::Environment(name));
            }
        }
    }

    /// Every default value parses as its key's type: a key blanked out by an environment
    /// variable falls back to it, and the whole configuration still loads.
    #[test]
    fn every_default_value_is_valid() {
        let dir = tempfile::tempdir().unwrap();
        for (_, keys) in SECTIONS {
            for key in keys.iter().filter(|k| k.default_text().is_some()) {
                let env = HashMap::from([(filled(&key.env_name()), String::new())]);
                if let Err(e) = crate::config::load(dir.path(), &env, &[]) {
                    panic!("with {} blank: {e}", key.path);
                }
            }
        }
    }

    /// Defaults the code decides are quoted in the table: they must be the code's.
    #[test]
    fn rules_quote_the_values_the_code_uses() {
        let rule = |key: Key| match key.default {
            Rule(text) => text,
            other => panic!("{} has {other:?}", key.path),
        };
        assert!(rule(CONNECTION_STRING).contains(super::super::database::DEFAULT_SQLITE_FILE));
        assert!(rule(STUDIO_PATH).contains(crate::studio::VERSION));
        assert!(
            rule(MAX_CONNECTIONS)
                .contains(&crate::connections::DEFAULT_MAX_CONNECTIONS.to_string())
        );
    }
}
