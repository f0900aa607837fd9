//! Whole-configuration scenarios: the guide's deployments as written, and one test per pitfall
//! of its Troubleshooting section. Hermetic: files in a temp dir, the environment as a map.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use elsa_store::{DbSettings, PgSettings, Provider, SqliteSettings, SqliteSync};

use super::*;

/// A content root, an environment and command-line overrides.
struct Fixture {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
    overrides: Vec<(String, String)>,
}

impl Fixture {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            env: HashMap::new(),
            overrides: Vec::new(),
        }
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.env.insert(name.into(), value.into());
        self
    }

    fn arg(mut self, key: &str, value: &str) -> Self {
        self.overrides.push((key.into(), value.into()));
        self
    }

    fn file(self, name: &str, text: &str) -> Self {
        std::fs::write(self.root().join(name), text).unwrap();
        self
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root().join(name)
    }

    fn load(&self) -> Result<Loaded, ConfigError> {
        load(self.root(), &self.env, &self.overrides)
    }

    fn loaded(&self) -> Loaded {
        self.load()
            .unwrap_or_else(|e| panic!("configuration must load: {e}"))
    }

    fn error(&self) -> String {
        let message = self
            .load()
            .expect_err("configuration must be rejected")
            .to_string();
        assert!(!message.contains('\n'), "one line: {message}");
        message
    }
}

fn pg(module: &ModuleDb) -> &PgSettings {
    match &module.db {
        DbSettings::PostgreSql(pg) => pg,
        other => panic!("{} uses {other}", module.module.name()),
    }
}

fn sqlite(module: &ModuleDb) -> &SqliteSettings {
    match &module.db {
        DbSettings::Sqlite(s) => s,
        other => panic!("{} uses {other}", module.module.name()),
    }
}

fn messages(loaded: &Loaded, level: NoticeLevel) -> Vec<&str> {
    loaded
        .notices
        .iter()
        .filter(|n| n.level == level)
        .map(|n| n.message.as_str())
        .collect()
}

const GUIDE_PG: &str =
    "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=$(POSTGRES_PASSWORD)";
const SECRET: &str = "s3cr;et-P@ss\"word";

/// The guide's Option A, `env:` exactly as its elsa-server-deployment.yaml lists it.
fn option_a() -> Fixture {
    Fixture::new()
        .env("ConnectionStrings__PostgreSql", GUIDE_PG)
        .env("POSTGRES_PASSWORD", SECRET)
        .env("Elsa__Persistence__Provider", "PostgreSql")
        .env("Elsa__Persistence__ConnectionStringName", "PostgreSql")
        .env(
            "Elsa__Modules__Management__Persistence__Provider",
            "EntityFrameworkCore.PostgreSql",
        )
        .env(
            "Elsa__Modules__Runtime__Persistence__Provider",
            "EntityFrameworkCore.PostgreSql",
        )
}

/// The guide's Option B ConfigMap, verbatim.
const OPTION_B_FILE: &str = r#"{
  "ConnectionStrings": {
    "PostgreSql": "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=$(POSTGRES_PASSWORD)"
  },
  "Elsa": {
    "Modules": {
      "Management": {
        "Persistence": {
          "Provider": "EntityFrameworkCore.PostgreSql",
          "ConnectionStringName": "PostgreSql"
        }
      },
      "Runtime": {
        "Persistence": {
          "Provider": "EntityFrameworkCore.PostgreSql",
          "ConnectionStringName": "PostgreSql"
        }
      }
    }
  }
}
"#;

#[test]
fn guide_default_configmap_uses_sqlite() {
    let loaded = Fixture::new()
        .env(
            "ConnectionStrings__DefaultConnection",
            "Data Source=/app/data/elsa.db",
        )
        .env("Elsa__Persistence__Provider", "Sqlite")
        .loaded();
    for module in loaded.settings.modules() {
        assert_eq!(module.provider.value, Provider::Sqlite);
        assert_eq!(sqlite(module).filename, "/app/data/elsa.db");
        assert_eq!(module.connection_string_name(), Some("DefaultConnection"));
        assert!(
            module.auto_migrate.value,
            "SQLite migrates itself by default"
        );
    }
    assert_eq!(
        loaded.provider_log_lines(),
        [
            "Using Sqlite provider for Management (Data Source=/app/data/elsa.db)",
            "Using Sqlite provider for Runtime (Data Source=/app/data/elsa.db)",
        ]
    );
}

#[test]
fn guide_option_a_environment_variables() {
    let loaded = option_a().loaded();
    for module in loaded.settings.modules() {
        assert_eq!(module.provider.value, Provider::PostgreSql);
        let pg = pg(module);
        assert_eq!(pg.host, "postgres");
        assert_eq!(pg.database.as_deref(), Some("elsa_workflows"));
        assert_eq!(pg.username.as_deref(), Some("elsa_user"));
        assert_eq!(
            pg.password.as_deref(),
            Some(SECRET),
            "$(POSTGRES_PASSWORD) is expanded"
        );
        assert_eq!(module.connection_string_name(), Some("PostgreSql"));
        assert!(
            !module.auto_migrate.value,
            "PostgreSQL is migrated by a Job unless asked"
        );
        // The module key wins over the global one.
        assert!(
            matches!(&module.provider.origin, Origin::Key { key, .. } if key.starts_with("Elsa:Modules:"))
        );
    }
    assert_eq!(
        loaded.provider_log_lines(),
        [
            "Using PostgreSql provider for Management (Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=***)",
            "Using PostgreSql provider for Runtime (Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=***)",
        ]
    );
}

#[test]
fn guide_option_a_render_check() {
    // Kubernetes gives every pod its name as HOSTNAME.
    let fixture = option_a().env("HOSTNAME", "elsa-server-5d8f7c9b4-x2x7q");
    let loaded = fixture.loaded();
    let root = fixture.root().display().to_string();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let slots = cpus * 16;
    let requests = cpus * 128;
    let expected = format!(
        "\
Environment: Production  (default: none of ASPNETCORE_ENVIRONMENT, DOTNET_ENVIRONMENT, ELSA_ENVIRONMENT is set)
Content root: {root}
Configuration files:
  {root}/appsettings.json: not found
  {root}/appsettings.Production.json: not found
Listen: http://0.0.0.0:8080  (http_ports = 8080, from the built-in defaults)
Log level: Information  (Logging:LogLevel:Default = Information, from the built-in defaults)
Log format: simple  (Logging:Console:FormatterName = simple, from the built-in defaults)
API key: not configured
Identity enabled: true  (Elsa:Identity:Enabled = true, from the built-in defaults)
Token signing key: not configured: one is generated once per database and stored in Elsa_ServerSecrets, shared by every node
Token issuer: http://elsa.api  (Elsa:Identity:Tokens:Issuer = http://elsa.api, from the built-in defaults); audience: http://elsa.api  (Elsa:Identity:Tokens:Audience = http://elsa.api, from the built-in defaults)
Token lifetimes: access 3600s  (Elsa:Identity:Tokens:AccessTokenLifetime = 01:00:00, from the built-in defaults); refresh 7200s  (Elsa:Identity:Tokens:RefreshTokenLifetime = 02:00:00, from the built-in defaults)
Admin user: admin  (Elsa:Identity:AdminUser = admin, from the built-in defaults); password: not configured
Lockout after failed authentications: 10 per client address  (Elsa:Identity:Lockout:MaxFailuresPerAddress = 10, from the built-in defaults); 5 per user name  (Elsa:Identity:Lockout:MaxFailuresPerUser = 5, from the built-in defaults); within 60 s  (Elsa:Identity:Lockout:Window = 00:01:00, from the built-in defaults)
CORS allowed origins: any origin  (default: Elsa:Cors:AllowedOrigins is not set)
Studio: {root}/data/studio/3.8.2 (not installed; run: elsa-server studio install)  (default: Elsa:Studio:Path is not set; data/studio/3.8.2 under the content root)
Node id: elsa-server-5d8f7c9b4-x2x7q  (from the HOSTNAME environment variable)
Engine threads: {cpus}  (default: 1 per CPU)
Background worker slots: {slots}  (default: 16 per CPU)
Run time budget: 30 s  (Elsa:Runtime:MaxRunDuration = 00:00:30, from the built-in defaults)
Activity executions per run: 100000  (Elsa:Runtime:MaxActivityExecutionsPerRun = 100000, from the built-in defaults)
Journal entries per run: 50000  (Elsa:Runtime:MaxJournalEntriesPerRun = 50000, from the built-in defaults)
Journal bytes per run: 64 MiB  (Elsa:Runtime:MaxJournalBytesPerRun = 67108864, from the built-in defaults)
Activity records per run: 25000  (Elsa:Runtime:MaxActivityRecordsPerRun = 25000, from the built-in defaults)
Workflow state size: 32 MiB  (Elsa:Runtime:MaxStateSize = 33554432, from the built-in defaults)
Memory of runs awaiting their commits: 64 MiB  (Elsa:Runtime:MaxUncommittedRunMemory = 67108864, from the built-in defaults)
Work lease: 20 s  (Elsa:Runtime:LeaseDuration = 00:00:20, from the built-in defaults)
Attempts before dead-lettering: 10  (Elsa:Runtime:MaxAttempts = 10, from the built-in defaults)
HTTP request timeout: 100 s  (Elsa:Runtime:HttpRequestTimeout = 00:01:40, from the built-in defaults)
Shutdown delay: 0 s  (Elsa:Runtime:ShutdownDelay = 00:00:00, from the built-in defaults)
Shutdown timeout: 20 s  (Elsa:Runtime:ShutdownTimeout = 00:00:20, from the built-in defaults)
Retention: finished instances are kept (Elsa:Retention:FinishedInstanceTtl is not set)
Connections at most: 10000, fewer if the open-file limit is lower  (Kestrel:Limits:MaxConcurrentConnections is not set)
Request headers timeout: 30 s  (Kestrel:Limits:RequestHeadersTimeout = 00:00:30, from the built-in defaults)
Keep-alive timeout: 130 s  (Kestrel:Limits:KeepAliveTimeout = 00:02:10, from the built-in defaults)
Requests in progress at most: {requests}  (default: 128 per CPU)
Request body at most: 4194304 bytes  (Kestrel:Limits:MaxRequestBodySize = 4194304, from the built-in defaults)
Import upload at most: 33554432 bytes  (Elsa:Http:MaxImportSize = 33554432, from the built-in defaults)
JSON nesting at most: 64  (Elsa:Http:MaxJsonDepth = 64, from the built-in defaults)
JSON values at most: 100000  (Elsa:Http:MaxJsonElements = 100000, from the built-in defaults)

Management module
  Provider: PostgreSql  (Elsa:Modules:Management:Persistence:Provider = EntityFrameworkCore.PostgreSql, from environment variable Elsa__Modules__Management__Persistence__Provider)
  Connection: Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=***  (ConnectionStrings:PostgreSql, from environment variable ConnectionStrings__PostgreSql; chosen by Elsa:Persistence:ConnectionStringName = PostgreSql, from environment variable Elsa__Persistence__ConnectionStringName; $(POSTGRES_PASSWORD) expanded from the environment)
  AutoMigrate: false  (default for a PostgreSql module; migrate with `elsa-server migrate` (Job or init container) or set Elsa__AutoMigrate=true)

Runtime module
  Provider: PostgreSql  (Elsa:Modules:Runtime:Persistence:Provider = EntityFrameworkCore.PostgreSql, from environment variable Elsa__Modules__Runtime__Persistence__Provider)
  Connection: Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=***  (ConnectionStrings:PostgreSql, from environment variable ConnectionStrings__PostgreSql; chosen by Elsa:Persistence:ConnectionStringName = PostgreSql, from environment variable Elsa__Persistence__ConnectionStringName; $(POSTGRES_PASSWORD) expanded from the environment)
  AutoMigrate: false  (default for a PostgreSql module; migrate with `elsa-server migrate` (Job or init container) or set Elsa__AutoMigrate=true)

Notices:
  warning: {root}/appsettings.Production.json was not found (the environment is Production because ASPNETCORE_ENVIRONMENT is not set); if a ConfigMap provides it, mount it with mountPath: {root}/appsettings.Production.json and subPath: appsettings.Production.json, otherwise settings come only from appsettings.json and environment variables
"
    );
    assert_eq!(render_check(&loaded), expected);
}

#[test]
fn guide_option_b_configmap_file() {
    let fixture = Fixture::new()
        .file("appsettings.Production.json", OPTION_B_FILE)
        .env("ASPNETCORE_ENVIRONMENT", "Production")
        .env("POSTGRES_PASSWORD", SECRET);
    let loaded = fixture.loaded();
    let file = fixture.path("appsettings.Production.json");
    assert_eq!(
        loaded.files[1],
        AppSettingsFile {
            path: file.clone(),
            loaded: true
        }
    );
    assert!(
        messages(&loaded, NoticeLevel::Warn).is_empty(),
        "{:?}",
        loaded.notices
    );
    for module in loaded.settings.modules() {
        assert_eq!(module.provider.value, Provider::PostgreSql);
        assert_eq!(pg(module).password.as_deref(), Some(SECRET));
        assert_eq!(module.connection_string_name(), Some("PostgreSql"));
    }
    let check = render_check(&loaded);
    assert!(
        check.contains(&format!(
            "Provider: PostgreSql  (Elsa:Modules:Management:Persistence:Provider = EntityFrameworkCore.PostgreSql, from {})",
            file.display()
        )),
        "{check}"
    );
    assert!(
        check.contains(&format!("{}: loaded", file.display())),
        "{check}"
    );
    assert!(check.contains("Environment: Production  (environment = Production, from environment variable ASPNETCORE_ENVIRONMENT)"), "{check}");
}

#[test]
fn layering_order_defaults_files_environment_command_line() {
    let loaded = Fixture::new()
        .file(
            "appsettings.json",
            r#"{ "Logging": { "LogLevel": { "Default": "Warning" } }, "Elsa": { "AutoMigrate": false }, "urls": "http://+:1000" }"#,
        )
        .file("appsettings.Staging.json", r#"{ "Logging": { "LogLevel": { "Default": "Debug" } }, "urls": "http://+:2000" }"#)
        .env("DOTNET_ENVIRONMENT", "Staging")
        .env("ELSA__AUTOMIGRATE", "true")
        .env("ASPNETCORE_URLS", "http://+:3000")
        .arg("urls", "http://127.0.0.1:4000")
        .loaded();
    let settings = &loaded.settings;
    assert_eq!(settings.environment.value, "Staging");
    assert_eq!(
        settings.log_level.value, "Debug",
        "environment file over appsettings.json"
    );
    assert!(
        settings.management.auto_migrate.value,
        "environment over files, any key case"
    );
    assert_eq!(
        settings.listen.addrs,
        ["127.0.0.1:4000".parse().unwrap()],
        "command line over all"
    );
    assert_eq!(
        settings.listen.origin.to_string(),
        "urls = http://127.0.0.1:4000, from command line --urls"
    );
    assert!(
        matches!(&settings.log_level.origin, Origin::Key { source: Source::File(p), .. } if p.ends_with("appsettings.Staging.json"))
    );
}

#[test]
fn environment_name_precedence() {
    let staging = r#"{ "Logging": { "LogLevel": { "Default": "Debug" } } }"#;
    let env = |fixture: Fixture| {
        fixture
            .file("appsettings.Staging.json", staging)
            .loaded()
            .settings
            .environment
            .value
    };
    assert_eq!(env(Fixture::new()), "Production");
    assert_eq!(
        env(Fixture::new().env("ELSA_ENVIRONMENT", "Staging")),
        "Staging"
    );
    assert_eq!(
        env(Fixture::new()
            .env("ELSA_ENVIRONMENT", "X")
            .env("DOTNET_ENVIRONMENT", "Staging")),
        "Staging"
    );
    assert_eq!(
        env(Fixture::new()
            .env("DOTNET_ENVIRONMENT", "X")
            .env("ASPNETCORE_ENVIRONMENT", "Staging")),
        "Staging"
    );
    assert_eq!(
        env(Fixture::new()
            .env("ASPNETCORE_ENVIRONMENT", " ")
            .env("DOTNET_ENVIRONMENT", "Staging")),
        "Staging"
    );
    assert_eq!(
        env(Fixture::new()
            .env("ASPNETCORE_ENVIRONMENT", "X")
            .arg("--environment", "Staging")),
        "Staging"
    );
    let loaded = Fixture::new()
        .env("ASPNETCORE_ENVIRONMENT", "Development")
        .loaded();
    assert!(
        messages(&loaded, NoticeLevel::Warn).is_empty(),
        "only Production expects its file"
    );
}

#[test]
fn keys_match_case_insensitively_across_sources() {
    let loaded = Fixture::new()
        .file("appsettings.json", r#"{ "connectionstrings": { "postgresql": "Host=db" }, "ELSA": { "PERSISTENCE": { "PROVIDER": "sqlite" } } }"#)
        .env("elsa__persistence__provider", "POSTGRESQL")
        .env("Elsa:Persistence:ConnectionStringName", "PostgreSQL")
        .loaded();
    assert_eq!(loaded.settings.runtime.provider.value, Provider::PostgreSql);
    assert_eq!(pg(&loaded.settings.runtime).host, "db");
}

#[test]
fn module_override_wins_over_global_settings() {
    let loaded = Fixture::new()
        .env(
            "ConnectionStrings__DefaultConnection",
            "Data Source=elsa.db",
        )
        .env("ConnectionStrings__PostgreSql", "Host=postgres")
        .env("Elsa__Persistence__Provider", "Sqlite")
        .env(
            "Elsa__Modules__Management__Persistence__Provider",
            "EntityFrameworkCore.PostgreSql",
        )
        .loaded();
    assert_eq!(
        loaded.settings.management.provider.value,
        Provider::PostgreSql
    );
    assert_eq!(
        loaded.settings.management.connection_string_name(),
        Some("PostgreSql"),
        "named after its provider"
    );
    assert_eq!(loaded.settings.runtime.provider.value, Provider::Sqlite);
    assert_eq!(
        loaded.settings.runtime.connection_string_name(),
        Some("DefaultConnection")
    );
}

#[test]
fn connection_string_selection_order() {
    let choose = |fixture: Fixture| {
        fixture
            .loaded()
            .settings
            .management
            .connection_string_name()
            .map(str::to_owned)
    };
    let strings = || {
        Fixture::new()
            .env("ConnectionStrings__DefaultConnection", "Host=default")
            .env("ConnectionStrings__PostgreSql", "Host=pg")
            .env("ConnectionStrings__Other", "Host=other")
    };
    let module_name = strings()
        .env(
            "Elsa__Persistence__ConnectionStringName",
            "DefaultConnection",
        )
        .env(
            "Elsa__Modules__Management__Persistence__ConnectionStringName",
            "Other",
        );
    assert_eq!(choose(module_name).as_deref(), Some("Other"));
    assert_eq!(
        choose(strings().env(
            "Elsa__Persistence__ConnectionStringName",
            "DefaultConnection"
        ))
        .as_deref(),
        Some("DefaultConnection")
    );
    assert_eq!(
        choose(strings().env("Elsa__Persistence__Provider", "Npgsql")).as_deref(),
        Some("PostgreSql")
    );
    assert_eq!(
        choose(strings()).as_deref(),
        Some("PostgreSql"),
        "unset provider: the one provider-named string"
    );
    let both_named = strings().env("ConnectionStrings__Sqlite", "Data Source=x.db");
    assert_eq!(choose(both_named).as_deref(), Some("DefaultConnection"));
    assert_eq!(
        choose(Fixture::new().env("ConnectionStrings__Mine", "Host=mine")).as_deref(),
        Some("Mine")
    );
    let composed = Fixture::new().env("DB_HOST", "postgres").loaded();
    assert!(matches!(
        composed.settings.management.connection,
        ConnectionOrigin::Composed { .. }
    ));
    let composed_loses = Fixture::new()
        .env("DB_HOST", "postgres")
        .env("ConnectionStrings__X", "Host=x");
    assert_eq!(choose(composed_loses).as_deref(), Some("X"));
}

#[test]
fn db_variables_compose_a_postgres_connection_string() {
    let fixture = Fixture::new()
        .env("DB_HOST", "postgres")
        .env("DB_PORT", "5433")
        .env("DB_NAME", "elsa_workflows")
        .env("DB_USER", "elsa_user")
        .env("DB_PASSWORD", SECRET);
    let loaded = fixture.loaded();
    let module = &loaded.settings.management;
    assert_eq!(module.provider.value, Provider::PostgreSql);
    assert_eq!(module.provider.origin, Origin::Derived("inferred from the connection string composed from DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD".into()));
    let pg = pg(module);
    assert_eq!((pg.host.as_str(), pg.port), ("postgres", 5433));
    assert_eq!(pg.database.as_deref(), Some("elsa_workflows"));
    assert_eq!(pg.username.as_deref(), Some("elsa_user"));
    assert_eq!(pg.password.as_deref(), Some(SECRET), "quoted when composed");
    assert!(render_check(&loaded).contains("(composed from DB_HOST (environment variable DB_HOST), DB_PORT (environment variable DB_PORT),"));
    let message = Fixture::new()
        .env("DB_HOST", "postgres")
        .env("DB_PORT", "x")
        .error();
    assert_eq!(
        message,
        "the connection string composed from DB_HOST, DB_PORT is not a valid connection string: `Port` must be a port number from 1 to 65535; fix it there"
    );
}

#[test]
fn nothing_configured_uses_sqlite_under_the_content_root() {
    let fixture = Fixture::new();
    let loaded = fixture.loaded();
    let expected = fixture.path("data/elsa.db").display().to_string();
    for module in loaded.settings.modules() {
        assert_eq!(module.provider.value, Provider::Sqlite);
        assert_eq!(sqlite(module).filename, expected);
        assert_eq!(module.connection, ConnectionOrigin::Default);
        assert!(module.auto_migrate.value);
    }
    assert!(
        messages(&loaded, NoticeLevel::Info)
            .iter()
            .any(|m| m.contains("no connection string is configured"))
    );
    assert_eq!(
        loaded.settings.listen.addrs,
        ["0.0.0.0:8080".parse().unwrap()]
    );
    assert_eq!(loaded.settings.api_key, None);
}

#[test]
fn relative_sqlite_paths_resolve_against_the_content_root() {
    let fixture = Fixture::new().env(
        "ConnectionStrings__Sqlite",
        "Data Source=elsa.sqlite.db;Cache=Shared",
    );
    let loaded = fixture.loaded();
    assert_eq!(
        sqlite(&loaded.settings.runtime).filename,
        fixture.path("elsa.sqlite.db").display().to_string()
    );
    let memory = Fixture::new()
        .env("ConnectionStrings__Sqlite", "Data Source=:memory:")
        .loaded();
    assert_eq!(sqlite(&memory.settings.runtime).filename, ":memory:");
}

#[test]
fn listen_addresses_from_urls_and_ports() {
    let addrs = |fixture: Fixture| -> Vec<String> {
        fixture
            .loaded()
            .settings
            .listen
            .addrs
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    assert_eq!(
        addrs(Fixture::new().env("ASPNETCORE_URLS", "http://127.0.0.1:18080")),
        ["127.0.0.1:18080"]
    );
    assert_eq!(
        addrs(Fixture::new().env("ASPNETCORE_URLS", "http://+:8080;http://*:5000")),
        ["0.0.0.0:8080", "0.0.0.0:5000"]
    );
    assert_eq!(
        addrs(Fixture::new().env("ASPNETCORE_HTTP_PORTS", "8080;8081")),
        ["0.0.0.0:8080", "0.0.0.0:8081"]
    );
    assert_eq!(
        addrs(
            Fixture::new()
                .env("ASPNETCORE_HTTP_PORTS", "8081")
                .env("ASPNETCORE_URLS", "http://localhost:5000")
        ),
        ["127.0.0.1:5000"]
    );
    let message = Fixture::new()
        .env("ASPNETCORE_URLS", "https://+:443")
        .error();
    assert!(
        message.contains("TLS is terminated at the ingress"),
        "{message}"
    );
}

#[test]
fn auto_migrate_defaults_and_override() {
    let loaded = option_a().env("Elsa__AutoMigrate", "true").loaded();
    assert!(loaded.settings.management.auto_migrate.value);
    assert_eq!(
        loaded.settings.runtime.auto_migrate.origin.to_string(),
        "Elsa:AutoMigrate = true, from environment variable Elsa__AutoMigrate"
    );
    let loaded = Fixture::new()
        .file("appsettings.json", r#"{"Elsa":{"AutoMigrate":false}}"#)
        .loaded();
    assert!(
        !loaded.settings.management.auto_migrate.value,
        "a SQLite module can opt out"
    );
}

#[test]
fn fail_on_validation_errors_defaults_to_true_and_can_be_turned_off() {
    let loaded = Fixture::new().loaded();
    assert!(loaded.settings.fail_on_validation_errors.value);
    assert_eq!(
        loaded.settings.fail_on_validation_errors.origin.to_string(),
        "Elsa:Management:FailOnValidationErrors = true, from the built-in defaults"
    );
    let loaded = Fixture::new()
        .file(
            "appsettings.json",
            r#"{"Elsa":{"Management":{"FailOnValidationErrors":false}}}"#,
        )
        .loaded();
    assert!(!loaded.settings.fail_on_validation_errors.value);
    let loaded = Fixture::new()
        .env("Elsa__Management__FailOnValidationErrors", "True")
        .file(
            "appsettings.json",
            r#"{"Elsa":{"Management":{"FailOnValidationErrors":false}}}"#,
        )
        .loaded();
    assert!(loaded.settings.fail_on_validation_errors.value);
    assert_eq!(
        loaded.settings.fail_on_validation_errors.origin.to_string(),
        "Elsa:Management:FailOnValidationErrors = True, from environment variable Elsa__Management__FailOnValidationErrors"
    );
    let error = Fixture::new()
        .env("Elsa__Management__FailOnValidationErrors", "sometimes")
        .error();
    assert!(
        error.contains("Elsa:Management:FailOnValidationErrors = sometimes"),
        "{error}"
    );
}

#[test]
fn flowchart_mode_defaults_to_counter_based_and_can_be_token_based() {
    let loaded = Fixture::new().loaded();
    assert_eq!(
        loaded.settings.flowchart_mode.value,
        FlowchartMode::CounterBased
    );
    assert_eq!(
        loaded.settings.flowchart_mode.origin.to_string(),
        "Elsa:Flowchart:DefaultExecutionMode = CounterBased, from the built-in defaults"
    );
    let loaded = Fixture::new()
        .env("Elsa__Flowchart__DefaultExecutionMode", "TokenBased")
        .loaded();
    assert_eq!(
        loaded.settings.flowchart_mode.value,
        FlowchartMode::TokenBased
    );
    assert_eq!(
        loaded.settings.flowchart_mode.origin.to_string(),
        "Elsa:Flowchart:DefaultExecutionMode = TokenBased, from environment variable Elsa__Flowchart__DefaultExecutionMode"
    );
    let loaded = Fixture::new()
        .file(
            "appsettings.json",
            r#"{"Elsa":{"Flowchart":{"DefaultExecutionMode":"counterbased"}}}"#,
        )
        .loaded();
    assert_eq!(
        loaded.settings.flowchart_mode.value,
        FlowchartMode::CounterBased
    );
    let error = Fixture::new()
        .env("Elsa__Flowchart__DefaultExecutionMode", "Tokens")
        .error();
    assert!(
        error.contains("Elsa:Flowchart:DefaultExecutionMode = Tokens")
            && error.contains("TokenBased"),
        "{error}"
    );
}

#[test]
fn sqlite_commits_are_synced_at_checkpoints_unless_full_is_asked_for() {
    let loaded = Fixture::new().loaded();
    for module in loaded.settings.modules() {
        assert_eq!(sqlite(module).synchronous, SqliteSync::Normal);
    }
    let loaded = Fixture::new()
        .env("Elsa__Sqlite__Synchronous", "full")
        .loaded();
    for module in loaded.settings.modules() {
        assert_eq!(sqlite(module).synchronous, SqliteSync::Full);
    }
    let error = Fixture::new()
        .env("Elsa__Sqlite__Synchronous", "OFF")
        .error();
    assert!(
        error.contains("Elsa:Sqlite:Synchronous = OFF") && error.contains("Full"),
        "{error}"
    );
}

#[test]
fn api_key_is_a_masked_secret() {
    let loaded = Fixture::new()
        .env("Elsa__Identity__ApiKey", "key-0123456789")
        .loaded();
    let key = loaded.settings.api_key.as_ref().unwrap();
    assert_eq!(key.expose(), "key-0123456789");
    assert_eq!(format!("{key:?} {key}"), "*** ***");
    assert!(!format!("{loaded:?}").contains("0123456789"));
    assert!(render_check(&loaded).contains("API key: configured  (Elsa:Identity:ApiKey, from environment variable Elsa__Identity__ApiKey)"));
}

#[test]
fn unknown_connection_string_keywords_become_warnings() {
    let loaded = Fixture::new()
        .env("ASPNETCORE_ENVIRONMENT", "Development")
        .env(
            "ConnectionStrings__PostgreSql",
            "Host=postgres;Keepalive=30",
        )
        .loaded();
    assert_eq!(
        messages(&loaded, NoticeLevel::Warn),
        [
            "ConnectionStrings:PostgreSql (from environment variable ConnectionStrings__PostgreSql): the connection-string keyword `Keepalive` is not supported and is ignored"
        ],
        "once, though both modules use it"
    );
}

// ---- Troubleshooting: "Elsa Still Uses SQLite" ----

#[test]
fn pitfall_elsa_still_uses_sqlite_provider_contradicts_connection_string() {
    let message = Fixture::new()
        .env(
            "ConnectionStrings__PostgreSql",
            "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=pw",
        )
        .env("Elsa__Persistence__ConnectionStringName", "PostgreSql")
        .env("Elsa__Persistence__Provider", "Sqlite")
        .error();
    assert_eq!(
        message,
        "Elsa:Persistence:Provider = Sqlite (from environment variable Elsa__Persistence__Provider) but ConnectionStrings:PostgreSql (from environment variable ConnectionStrings__PostgreSql) is a PostgreSql connection string; set Elsa:Persistence:Provider to PostgreSql, or use a Sqlite connection string"
    );
    let message = Fixture::new()
        .env(
            "ConnectionStrings__DefaultConnection",
            "Data Source=/app/data/elsa.db",
        )
        .env(
            "Elsa__Modules__Runtime__Persistence__Provider",
            "EntityFrameworkCore.PostgreSql",
        )
        .error();
    assert!(message.starts_with("Elsa:Modules:Runtime:Persistence:Provider = EntityFrameworkCore.PostgreSql (from environment variable Elsa__Modules__Runtime__Persistence__Provider) but ConnectionStrings:DefaultConnection"), "{message}");
}

#[test]
fn pitfall_elsa_still_uses_sqlite_provider_inferred_from_connection_string() {
    let loaded = Fixture::new()
        .env(
            "ConnectionStrings__PostgreSql",
            "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=pw",
        )
        .loaded();
    for module in loaded.settings.modules() {
        assert_eq!(module.provider.value, Provider::PostgreSql, "never SQLite");
    }
    assert_eq!(
        messages(&loaded, NoticeLevel::Info)[0],
        "Management: neither Elsa:Modules:Management:Persistence:Provider nor Elsa:Persistence:Provider is set; using PostgreSql, inferred from ConnectionStrings:PostgreSql (from environment variable ConnectionStrings__PostgreSql)"
    );
    assert!(loaded.provider_log_lines()[0].starts_with("Using PostgreSql provider for Management"));
}

#[test]
fn pitfall_elsa_still_uses_sqlite_postgres_provider_without_connection_string() {
    let message = Fixture::new()
        .env("Elsa__Persistence__Provider", "PostgreSql")
        .error();
    assert_eq!(
        message,
        "Elsa:Persistence:Provider = PostgreSql (from environment variable Elsa__Persistence__Provider) but no connection string is configured; set ConnectionStrings__PostgreSql (or DB_HOST, DB_NAME, DB_USER, DB_PASSWORD)"
    );
}

// "Connection Refused or Timeout" and "Tables Not Created" are about the database itself: the
// store and `elsa-server migrate` handle them.

// ---- Troubleshooting: "Missing Environment Variables" ----

#[test]
fn pitfall_missing_environment_variables_literal_reference_is_an_error() {
    let mut fixture = option_a();
    fixture.env.remove("POSTGRES_PASSWORD");
    assert_eq!(
        fixture.error(),
        "ConnectionStrings:PostgreSql (from environment variable ConnectionStrings__PostgreSql) refers to $(POSTGRES_PASSWORD), which is not set; set POSTGRES_PASSWORD in the container's env (in Kubernetes declare it before the variable that references it), or write $$(POSTGRES_PASSWORD) for a literal"
    );
}

#[test]
fn pitfall_missing_environment_variables_option_1_references_expand() {
    let loaded = Fixture::new()
        .env("DB_HOST", "postgres")
        .env("DB_NAME", "elsa_workflows")
        .env("DB_USER", "elsa_user")
        .env("DB_PASSWORD", SECRET)
        .env(
            "ConnectionStrings__PostgreSql",
            "Host=$(DB_HOST);Database=$(DB_NAME);Username=$(DB_USER);Password=$(DB_PASSWORD)",
        )
        .loaded();
    let module = &loaded.settings.management;
    assert_eq!(
        module.connection_string_name(),
        Some("PostgreSql"),
        "a connection string wins over DB_*"
    );
    let pg = pg(module);
    assert_eq!(pg.host, "postgres");
    assert_eq!(pg.database.as_deref(), Some("elsa_workflows"));
    assert_eq!(pg.username.as_deref(), Some("elsa_user"));
    assert_eq!(pg.password.as_deref(), Some(SECRET));
    let ConnectionOrigin::Named { expanded, .. } = &module.connection else {
        panic!()
    };
    assert_eq!(expanded, &["DB_HOST", "DB_NAME", "DB_USER", "DB_PASSWORD"]);
}

#[test]
fn pitfall_missing_environment_variables_escaped_reference_stays_literal() {
    let loaded = Fixture::new()
        .env(
            "ConnectionStrings__PostgreSql",
            "Host=postgres;Password=$$(NOT_A_VAR)",
        )
        .loaded();
    assert_eq!(
        pg(&loaded.settings.runtime).password.as_deref(),
        Some("$(NOT_A_VAR)")
    );
}

// ---- Troubleshooting: "ConfigMap Not Mounted" ----

#[test]
fn pitfall_configmap_not_mounted_warns_with_the_path() {
    let fixture = Fixture::new().env("ASPNETCORE_ENVIRONMENT", "Production");
    let loaded = fixture.loaded();
    let path = fixture
        .path("appsettings.Production.json")
        .display()
        .to_string();
    let warnings = messages(&loaded, NoticeLevel::Warn);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with(&format!(
            "{path} was not found; if a ConfigMap provides it, mount it with mountPath: {path}"
        )),
        "{}",
        warnings[0]
    );
    assert!(render_check(&loaded).contains(&format!("{path}: not found")));
}

#[test]
fn pitfall_configmap_not_mounted_environment_unset_still_warns() {
    let loaded = Fixture::new().loaded();
    let warnings = messages(&loaded, NoticeLevel::Warn);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .contains("(the environment is Production because ASPNETCORE_ENVIRONMENT is not set)"),
        "{}",
        warnings[0]
    );
}

#[test]
fn pitfall_configmap_not_mounted_subpath_left_a_directory() {
    let fixture = Fixture::new();
    std::fs::create_dir(fixture.path("appsettings.Production.json")).unwrap();
    let message = fixture.error();
    assert!(
        message.starts_with(&format!(
            "{} is a directory, not a file;",
            fixture.path("appsettings.Production.json").display()
        )),
        "{message}"
    );
}

#[test]
fn pitfall_configmap_not_mounted_other_environment_file_is_ignored() {
    // The ConfigMap mounts appsettings.Production.json but the environment says Staging.
    let loaded = Fixture::new()
        .file("appsettings.Production.json", OPTION_B_FILE)
        .env("ASPNETCORE_ENVIRONMENT", "Staging")
        .loaded();
    assert_eq!(loaded.settings.management.provider.value, Provider::Sqlite);
    assert!(render_check(&loaded).contains("appsettings.Staging.json: not found"));
}

// ---- The other errors, one line each, naming the key and the fix ----

#[test]
fn error_missing_named_connection_string() {
    let message = Fixture::new()
        .env("ConnectionStrings__Postgres", "Host=x")
        .env("Elsa__Persistence__ConnectionStringName", "PostgreSql")
        .error();
    assert_eq!(
        message,
        "Elsa:Persistence:ConnectionStringName = PostgreSql (from environment variable Elsa__Persistence__ConnectionStringName) but ConnectionStrings:PostgreSql is not set (configured: Postgres); add ConnectionStrings__PostgreSql or change Elsa:Persistence:ConnectionStringName"
    );
    let message = Fixture::new()
        .arg(
            "Elsa:Modules:Runtime:Persistence:ConnectionStringName",
            "Nope",
        )
        .error();
    assert!(message.contains("(from command line --Elsa:Modules:Runtime:Persistence:ConnectionStringName) but ConnectionStrings:Nope is not set (no connection strings are configured)"), "{message}");
}

#[test]
fn error_unparseable_connection_string_hides_the_password() {
    let message = Fixture::new()
        .env(
            "ConnectionStrings__PostgreSql",
            &format!("Host=postgres;Password='{SECRET}"),
        )
        .error();
    assert_eq!(
        message,
        "ConnectionStrings:PostgreSql (from environment variable ConnectionStrings__PostgreSql) is not a valid connection string: the quoted value of `Password` has no closing quote; fix it there"
    );
    let message = Fixture::new()
        .env("ConnectionStrings__X", "Database=elsa")
        .error();
    assert!(
        message.contains("has neither a PostgreSQL `Host` nor a SQLite `Data Source`"),
        "{message}"
    );
}

#[test]
fn error_unknown_provider_lists_the_accepted_names() {
    let message = Fixture::new()
        .file(
            "appsettings.json",
            r#"{"Elsa":{"Persistence":{"Provider":"SqlServer"}}}"#,
        )
        .error();
    assert!(
        message.starts_with("Elsa:Persistence:Provider = SqlServer (from "),
        "{message}"
    );
    assert!(message.ends_with("is not a provider elsa-rs knows; use Sqlite, PostgreSql, EntityFrameworkCore.Sqlite or EntityFrameworkCore.PostgreSql (also Postgres, Npgsql)"), "{message}");
}

#[test]
fn error_bad_urls_and_ports() {
    assert_eq!(
        Fixture::new().env("ASPNETCORE_HTTP_PORTS", "80a").error(),
        "HTTP_PORTS = 80a (from environment variable ASPNETCORE_HTTP_PORTS) is not a valid listen address: ports must be whole numbers from 0 to 65535 separated by `;`; use e.g. urls=http://+:8080 or http_ports=8080;8081"
    );
    assert!(
        Fixture::new()
            .arg("urls", "ftp://x")
            .error()
            .starts_with("urls = ftp://x (from command line --urls) is not a valid listen address")
    );
}

#[test]
fn error_bad_boolean_for_auto_migrate() {
    assert_eq!(
        Fixture::new().env("Elsa__AutoMigrate", "sometimes").error(),
        "Elsa:AutoMigrate = sometimes (from environment variable Elsa__AutoMigrate) is not a boolean; set it to true or false"
    );
}

#[test]
fn error_ambiguous_connection_strings() {
    let message = Fixture::new()
        .env("ConnectionStrings__Primary", "Host=a")
        .env("ConnectionStrings__Replica", "Host=b")
        .error();
    assert_eq!(
        message,
        "several connection strings are configured (Primary, Replica) and none is selected for the Management module; set Elsa__Persistence__ConnectionStringName (or Elsa__Persistence__Provider) to choose"
    );
}

#[test]
fn error_invalid_json_names_the_file() {
    let fixture = Fixture::new().file("appsettings.json", "{ \"Elsa\": ");
    let message = fixture.error();
    assert!(
        message.starts_with(&format!(
            "{} is not valid JSON (",
            fixture.path("appsettings.json").display()
        )),
        "{message}"
    );
}

#[test]
fn secrets_never_appear_in_output_notices_or_errors() {
    let password = "Pa55-Very-Secret";
    let api_key = "ApiKey-Very-Secret";
    let loaded = Fixture::new()
        .env(
            "ConnectionStrings__PostgreSql",
            "Host=postgres;Password=$(POSTGRES_PASSWORD);Keepalive=1",
        )
        .env("POSTGRES_PASSWORD", password)
        .env(
            "ConnectionStrings__Sqlite",
            &format!("Data Source=x.db;Password={password}"),
        )
        .env(
            "Elsa__Modules__Management__Persistence__Provider",
            "PostgreSql",
        )
        .env("Elsa__Modules__Runtime__Persistence__Provider", "Sqlite")
        .env("Elsa__Identity__ApiKey", api_key)
        .loaded();
    let mut texts = vec![
        render_check(&loaded),
        format!("{loaded:?}"),
        format!("{:#?}", loaded.settings),
    ];
    texts.extend(loaded.provider_log_lines());
    texts.extend(loaded.notices.iter().map(|n| n.message.clone()));
    let failures = [
        Fixture::new().env(
            "ConnectionStrings__PostgreSql",
            &format!("Host=postgres;Password={password};Port=x"),
        ),
        Fixture::new()
            .env(
                "ConnectionStrings__PostgreSql",
                &format!("Host=postgres;Password={password}"),
            )
            .env("Elsa__Persistence__Provider", "Sqlite"),
        Fixture::new().env(
            "ConnectionStrings__PostgreSql",
            &format!("postgres://u:{password}@h:x/db"),
        ),
        Fixture::new()
            .env("DB_HOST", "h")
            .env("DB_PASSWORD", password)
            .env("DB_PORT", "x"),
        Fixture::new().env(
            "ConnectionStrings__PostgreSql",
            &format!("Host=h;Password={password}$(MISSING)"),
        ),
    ];
    texts.extend(failures.iter().map(Fixture::error));
    for text in texts {
        assert!(!text.contains("Very-Secret"), "secret leaked: {text}");
    }
}

#[test]
fn runtime_settings_have_defaults_and_take_the_keys() {
    let runtime = Fixture::new().loaded().settings.runtime_settings;
    assert_eq!(runtime.max_run_duration.value, Duration::from_secs(30));
    assert_eq!(runtime.shutdown_timeout.value, Duration::from_secs(20));
    assert_eq!(runtime.lease.value, Duration::from_secs(20));
    assert_eq!(runtime.http_timeout.value, Duration::from_secs(100));
    assert_eq!(runtime.max_attempts.value, 10);
    // The per-run budgets' defaults are the engine's.
    let engine = elsa_engine::EngineOptions::default();
    assert_eq!(
        runtime.max_activity_executions.value,
        engine.max_activity_executions
    );
    assert_eq!(
        runtime.max_journal_entries.value,
        engine.max_journal_entries_per_run
    );
    assert_eq!(
        runtime.max_journal_bytes.value,
        engine.max_journal_bytes_per_run
    );
    assert_eq!(
        runtime.max_activity_records.value,
        engine.max_activity_records_per_run
    );
    assert_eq!(runtime.max_state_size.value, engine.max_state_size);
    assert_eq!(
        runtime.max_uncommitted_run_memory.value,
        elsa_runtime::RuntimeOptions::default().max_uncommitted_run_memory
    );
    assert!(runtime.finished_instance_ttl.is_none());
    assert!(runtime.node_id.value.starts_with("node-"));

    let runtime = Fixture::new()
        .env("HOSTNAME", "elsa-server-7d9f-abcde")
        .env("Elsa__Runtime__MaxRunDuration", "00:00:05")
        .env("Elsa__Runtime__MaxJournalEntriesPerRun", "1000")
        .env("Elsa__Runtime__MaxJournalBytesPerRun", "1048576")
        .env("Elsa__Runtime__MaxActivityRecordsPerRun", "500")
        .env("Elsa__Runtime__MaxStateSize", "65536")
        .env("Elsa__Runtime__MaxUncommittedRunMemory", "1048576")
        .env("Elsa__Runtime__MaxActivityExecutionsPerRun", "2000")
        .env("Elsa__Runtime__Workers", "3")
        .env("Elsa__Retention__FinishedInstanceTtl", "7.00:00:00")
        .loaded()
        .settings
        .runtime_settings;
    assert_eq!(runtime.node_id.value, "elsa-server-7d9f-abcde");
    assert_eq!(runtime.max_run_duration.value, Duration::from_secs(5));
    assert_eq!(runtime.max_journal_entries.value, 1000);
    assert_eq!(runtime.max_journal_bytes.value, 1_048_576);
    assert_eq!(runtime.max_activity_records.value, 500);
    assert_eq!(runtime.max_state_size.value, 65_536);
    assert_eq!(runtime.max_uncommitted_run_memory.value, 1_048_576);
    assert_eq!(runtime.max_activity_executions.value, 2000);
    assert_eq!(runtime.workers.value, 3);
    assert_eq!(
        runtime.finished_instance_ttl.map(|s| s.value),
        Some(Duration::from_secs(7 * 24 * 3600))
    );
    let runtime = Fixture::new()
        .env("POD_NAME", "elsa-server-0")
        .env("HOSTNAME", "ignored")
        .loaded()
        .settings
        .runtime_settings;
    assert_eq!(runtime.node_id.value, "elsa-server-0", "the pod name first");
    let runtime = Fixture::new()
        .env("POD_NAME", "elsa-server-0")
        .env("Elsa__Runtime__NodeId", "configured")
        .loaded()
        .settings
        .runtime_settings;
    assert_eq!(runtime.node_id.value, "configured");

    let error = Fixture::new().env("Elsa__Runtime__Workers", "0").error();
    assert!(
        error.contains("Elsa:Runtime:Workers = 0") && error.contains("positive whole number"),
        "{error}"
    );
    // Sizes are whole numbers of bytes.
    let error = Fixture::new()
        .env("Elsa__Runtime__MaxStateSize", "32MB")
        .error();
    assert!(
        error.contains("Elsa:Runtime:MaxStateSize = 32MB")
            && error.contains("positive whole number"),
        "{error}"
    );
    let error = Fixture::new()
        .env("Elsa__Runtime__ShutdownTimeout", "soon")
        .error();
    assert!(
        error.contains("Elsa:Runtime:ShutdownTimeout = soon"),
        "{error}"
    );
}

/// A Production configuration that passes the signing-key checks, plus `env`.
fn production_with(env: &[(&str, &str)]) -> Loaded {
    let mut fixture = Fixture::new().env(
        "Elsa__Identity__Tokens__SigningKey",
        "a-random-enough-signing-key-0123456789-abcdefghij",
    );
    for (name, value) in env {
        fixture = fixture.env(name, value);
    }
    fixture.loaded()
}

#[test]
fn production_refuses_common_or_short_admin_passwords() {
    for weak in [
        "123456",
        "elsa",
        "changeme",
        "P@ssw0rd",
        "Admin",
        "PASSWORD",
        "password",
        "qwerty",
        "Password123!",
        "Welcome2024",
        "Administrator",
        "QwertyUiop123",
        "123456789012",
    ] {
        let loaded = production_with(&[("Elsa__Identity__AdminPassword", weak)]);
        let reasons = loaded.settings.production_refusals();
        assert_eq!(reasons.len(), 1, "{weak}: {reasons:?}");
        assert!(
            reasons[0].starts_with(
                "Elsa:Identity:AdminPassword is a well-known default password or one of the most common passwords"
            ),
            "{weak}: {}",
            reasons[0]
        );
        assert!(reasons[0].contains("Elsa__Identity__AdminPassword"));
        assert!(reasons[0].contains("openssl rand"));
        let report = render_check(&loaded);
        assert!(
            report.contains(&format!(
                "A Production start would be refused:\n  - {}",
                reasons[0]
            )),
            "{report}"
        );
    }
    let short = "Tr0ub4dor&3";
    let loaded = production_with(&[("Elsa__Identity__AdminPassword", short)]);
    let reasons = loaded.settings.production_refusals();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].starts_with("Elsa:Identity:AdminPassword is shorter than 12 characters"),
        "{}",
        reasons[0]
    );
    let report = render_check(&loaded);
    assert!(report.contains("A Production start would be refused:"));
    assert!(!report.contains(short), "never the password: {report}");
    assert!(!format!("{reasons:?}").contains(short));

    // A long random password, and no password at all (one is generated), are fine.
    for fine in [
        &[("Elsa__Identity__AdminPassword", "vK3-horse-Battery-staple")][..],
        &[],
    ] {
        let loaded = production_with(fine);
        assert_eq!(loaded.settings.production_refusals(), Vec::<String>::new());
        assert!(!render_check(&loaded).contains("would be refused"));
    }
}

#[test]
fn production_refuses_a_short_api_key() {
    for short in ["abc", "bench-key", "key-0123456789-0123456789-01234"] {
        let loaded = production_with(&[("Elsa__Identity__ApiKey", short)]);
        let reasons = loaded.settings.production_refusals();
        assert_eq!(reasons.len(), 1, "{short}: {reasons:?}");
        assert!(
            reasons[0].starts_with("Elsa:Identity:ApiKey is shorter than 32 characters"),
            "{}",
            reasons[0]
        );
        assert!(reasons[0].contains("openssl rand -base64 48"));
        let report = render_check(&loaded);
        assert!(
            report.contains(&format!(
                "A Production start would be refused:\n  - {}",
                reasons[0]
            )),
            "{report}"
        );
        if short.len() > 5 {
            assert!(!report.contains(short), "never the key: {report}");
        }
    }
    let loaded = production_with(&[(
        "Elsa__Identity__ApiKey",
        "sufficiently-large-secret-signing-key",
    )]);
    let reasons = loaded.settings.production_refusals();
    assert!(
        reasons[0].starts_with("Elsa:Identity:ApiKey is a well-known example value"),
        "{reasons:?}"
    );
    let loaded = production_with(&[("Elsa__Identity__ApiKey", "key-0123456789-0123456789-012345")]);
    assert_eq!(loaded.settings.production_refusals(), Vec::<String>::new());
}

#[test]
fn development_accepts_weak_credentials() {
    let loaded = Fixture::new()
        .env("ASPNETCORE_ENVIRONMENT", "Development")
        .env("Elsa__Identity__AdminPassword", "elsa")
        .env("Elsa__Identity__ApiKey", "abc")
        .loaded();
    assert_eq!(loaded.settings.production_refusals(), Vec::<String>::new());
    assert!(!render_check(&loaded).contains("would be refused"));
}

#[test]
fn lockout_settings_have_defaults_and_take_the_keys() {
    let identity = Fixture::new().loaded().settings.identity;
    let lockout = identity.lockout();
    assert_eq!(lockout, elsa_api::identity::LockoutOptions::default());
    assert_eq!(lockout.max_failures_per_address, 10);
    assert_eq!(lockout.max_failures_per_user, 5);
    assert_eq!(lockout.window, Duration::from_secs(60));

    let identity = Fixture::new()
        .env("Elsa__Identity__Lockout__MaxFailuresPerAddress", "100")
        .env("Elsa__Identity__Lockout__MaxFailuresPerUser", "3")
        .env("Elsa__Identity__Lockout__Window", "00:05:00")
        .loaded()
        .settings
        .identity;
    let lockout = identity.lockout();
    assert_eq!(lockout.max_failures_per_address, 100);
    assert_eq!(lockout.max_failures_per_user, 3);
    assert_eq!(lockout.window, Duration::from_secs(300));

    let error = Fixture::new()
        .env("Elsa__Identity__Lockout__MaxFailuresPerUser", "0")
        .error();
    assert!(
        error.contains("Elsa:Identity:Lockout:MaxFailuresPerUser = 0"),
        "{error}"
    );
    let error = Fixture::new()
        .env("Elsa__Identity__Lockout__Window", "never")
        .error();
    assert!(
        error.contains("Elsa:Identity:Lockout:Window = never"),
        "{error}"
    );
}
