//! Which database each Elsa module uses: its provider, its connection string, and whether it
//! migrates at startup, following the keys of the guide.
//!
//! The guide's "Elsa still uses SQLite" pitfall is why a provider and a connection string that
//! disagree are an error here, and why a missing provider is inferred from the connection string
//! instead of silently defaulting to SQLite.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use elsa_store::connection_string::{self, Parsed};
use elsa_store::{DbSettings, Module, Provider, SqliteMode, SqliteSettings, SqliteSync};

use super::expand::expand;
use super::keys::{self, Key};
use super::settings::{Origin, Setting};
use super::sources::{Configuration, Entry, Source};
use super::values::parse_bool;
use super::{ConfigError, Notice};

/// One module's database.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleDb {
    pub module: Module,
    pub provider: Setting<Provider>,
    pub db: DbSettings,
    pub connection: ConnectionOrigin,
    pub auto_migrate: Setting<bool>,
}

impl ModuleDb {
    /// `ConnectionStrings:{name}` the module uses, when it uses a named one.
    pub fn connection_string_name(&self) -> Option<&str> {
        match &self.connection {
            ConnectionOrigin::Named { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The startup line the guide tells operators to grep for:
    /// `Using PostgreSql provider for Management (Host=postgres;…;Password=***)`.
    pub fn log_line(&self) -> String {
        format!(
            "Using {} provider for {} ({})",
            self.provider.value,
            self.module.name(),
            self.db
        )
    }
}

/// Where a module's connection came from. Never holds the connection string's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionOrigin {
    /// `ConnectionStrings:{name}`.
    Named {
        name: String,
        /// The key as its source spelled it, e.g. `ConnectionStrings:PostgreSql`.
        key: String,
        source: Source,
        /// What selected this name (a `ConnectionStringName` key, or the rule that applied).
        chosen_by: Origin,
        /// Variables expanded from `$(VAR)` / `${VAR}` references, by name.
        expanded: Vec<String>,
    },
    /// Composed from `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USER`, `DB_PASSWORD`.
    Composed { keys: Vec<(String, Source)> },
    /// Nothing configured: SQLite under the content root.
    Default,
}

/// Describes the connection for messages: `ConnectionStrings:PostgreSql (from …)`.
impl fmt::Display for ConnectionOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Named { key, source, .. } => write!(f, "{key} (from {source})"),
            Self::Composed { keys } => {
                let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
                write!(
                    f,
                    "the connection string composed from {}",
                    names.join(", ")
                )
            }
            Self::Default => f.write_str("the default SQLite database"),
        }
    }
}

/// The variables that compose a PostgreSQL connection string, with the keyword each fills.
const DB_PARTS: [(Key, &str); 5] = [
    (keys::DB_HOST, "Host"),
    (keys::DB_PORT, "Port"),
    (keys::DB_NAME, "Database"),
    (keys::DB_USER, "Username"),
    (keys::DB_PASSWORD, "Password"),
];

pub(super) const DEFAULT_SQLITE_FILE: &str = "data/elsa.db";

/// Resolves one module. `env` is the process environment, for `$(VAR)` references.
pub(super) fn resolve(
    module: Module,
    config: &Configuration,
    env: &HashMap<String, String>,
    content_root: &Path,
    notices: &mut Vec<Notice>,
) -> Result<ModuleDb, ConfigError> {
    let provider_entry = config
        .entry_for(&keys::MODULE_PROVIDER, module.name())
        .or_else(|| config.entry(&keys::PROVIDER));
    let configured = provider_entry
        .map(|entry| parse_provider(entry).map(|p| (p, entry)))
        .transpose()?;

    let choice = choose(module, config, configured.map(|(p, _)| p))?;
    let (connection, parsed) = open(choice, env, content_root)?;
    let mut db = parsed.settings;
    if let DbSettings::Sqlite(sqlite) = &mut db {
        sqlite.synchronous = sqlite_synchronous(config)?;
    }
    for warning in parsed.warnings {
        push_once(notices, Notice::warn(format!("{connection}: {warning}")));
    }

    let (provider, provider_origin) = match configured {
        // Only PostgreSql can disagree with the default, which is SQLite.
        Some((provider, entry))
            if connection == ConnectionOrigin::Default && provider != db.provider() =>
        {
            return Err(ConfigError::NoConnectionString {
                key: entry.key.clone(),
                value: entry.value.clone(),
                from: entry.source.clone(),
                provider,
            });
        }
        Some((provider, entry)) if provider != db.provider() => {
            return Err(ConfigError::ProviderMismatch {
                key: entry.key.clone(),
                value: entry.value.clone(),
                from: entry.source.clone(),
                provider,
                connection: connection.to_string(),
                actual: db.provider(),
            });
        }
        Some((provider, entry)) => (provider, Origin::of(entry)),
        None => {
            let provider = db.provider();
            let reason = match &connection {
                ConnectionOrigin::Default => {
                    "default: no provider and no connection string configured".to_owned()
                }
                other => {
                    notices.push(Notice::info(format!(
                        "{}: neither {} nor {} is set; using {provider}, inferred from {other}",
                        module.name(),
                        keys::MODULE_PROVIDER.path_for(module.name()),
                        keys::PROVIDER.path()
                    )));
                    format!("inferred from {other}")
                }
            };
            (provider, Origin::Derived(reason))
        }
    };
    if connection == ConnectionOrigin::Default {
        notices.push(Notice::info(format!(
            "{}: no connection string is configured; using {db}",
            module.name()
        )));
    }

    let (auto_migrate, auto_migrate_origin) = match config.entry(&keys::AUTO_MIGRATE) {
        Some(entry) => (parse_bool(entry)?, Origin::of(entry)),
        // SQLite is a local file nobody else migrates; PostgreSQL is migrated by a Job or
        // init container, as the guide recommends, unless asked for.
        None => {
            let reason = match provider {
                Provider::Sqlite => "default for a Sqlite module".to_owned(),
                Provider::PostgreSql => "default for a PostgreSql module; migrate with `elsa-server migrate` (Job or init container) or set Elsa__AutoMigrate=true".to_owned(),
            };
            (provider == Provider::Sqlite, Origin::Derived(reason))
        }
    };

    Ok(ModuleDb {
        module,
        provider: Setting {
            value: provider,
            origin: provider_origin,
        },
        db,
        connection,
        auto_migrate: Setting {
            value: auto_migrate,
            origin: auto_migrate_origin,
        },
    })
}

/// `Elsa:Sqlite:Synchronous`: `Normal` (default) or `Full`, any case.
fn sqlite_synchronous(config: &Configuration) -> Result<SqliteSync, ConfigError> {
    let Some(entry) = config.entry(&keys::SQLITE_SYNCHRONOUS) else {
        return Ok(SqliteSync::default());
    };
    match entry.value.trim().to_ascii_lowercase().as_str() {
        "normal" => Ok(SqliteSync::Normal),
        "full" => Ok(SqliteSync::Full),
        _ => Err(ConfigError::InvalidSqliteSynchronous {
            key: entry.key.clone(),
            value: entry.value.clone(),
            from: entry.source.clone(),
        }),
    }
}

fn push_once(notices: &mut Vec<Notice>, notice: Notice) {
    if !notices.contains(&notice) {
        notices.push(notice);
    }
}

/// Elsa's provider names, case-insensitive, with or without the `EntityFrameworkCore.` (or
/// `Elsa.Persistence.EFCore.`, the package name in the guide's Dockerfile) prefix.
fn parse_provider(entry: &Entry) -> Result<Provider, ConfigError> {
    let lower = entry.value.trim().to_ascii_lowercase();
    let base = ["elsa.", "persistence.", "entityframeworkcore.", "efcore."]
        .iter()
        .fold(lower.as_str(), |name, prefix| {
            name.strip_prefix(prefix).unwrap_or(name)
        });
    match base {
        "sqlite" => Ok(Provider::Sqlite),
        "postgresql" | "postgres" | "npgsql" => Ok(Provider::PostgreSql),
        _ => Err(ConfigError::UnknownProvider {
            key: entry.key.clone(),
            value: entry.value.clone(),
            from: entry.source.clone(),
        }),
    }
}

/// The connection a module will use, before its text is expanded and parsed.
enum Choice<'c> {
    Named {
        name: String,
        entry: &'c Entry,
        chosen_by: Origin,
    },
    /// Each present `DB_*` entry with the keyword it fills.
    Composed(Vec<(&'static str, &'c Entry)>),
    Default,
}

/// Picks the connection string: the module's `ConnectionStringName`, the global one, one named
/// after the provider, `DefaultConnection`, the only one configured, the `DB_*` variables, and
/// finally the default SQLite file. Several candidates and no rule to pick one is an error
/// rather than a silent fall-back to SQLite.
fn choose<'c>(
    module: Module,
    config: &'c Configuration,
    provider: Option<Provider>,
) -> Result<Choice<'c>, ConfigError> {
    let strings: Vec<(&str, &Entry)> = config.children(&keys::CONNECTION_STRING).collect();
    let find = |wanted: &str| {
        strings
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
    };
    let named = |&(name, entry): &(&str, &'c Entry), chosen_by: Origin| Choice::Named {
        name: name.to_owned(),
        entry,
        chosen_by,
    };

    let name_entry = config
        .entry_for(&keys::MODULE_CONNECTION_STRING_NAME, module.name())
        .or_else(|| config.entry(&keys::CONNECTION_STRING_NAME));
    if let Some(name_entry) = name_entry {
        let wanted = name_entry.value.trim();
        let found = find(wanted).ok_or_else(|| ConfigError::MissingConnectionString {
            key: name_entry.key.clone(),
            name: wanted.to_owned(),
            from: name_entry.source.clone(),
            configured: describe_names(&strings),
        })?;
        return Ok(named(found, Origin::of(name_entry)));
    }

    let by_provider = match provider {
        Some(provider) => find(provider.name()),
        // Unknown provider: a string named after exactly one provider still says which.
        None => match (
            find(Provider::PostgreSql.name()),
            find(Provider::Sqlite.name()),
        ) {
            (Some(one), None) | (None, Some(one)) => Some(one),
            _ => None,
        },
    };
    if let Some(found) = by_provider {
        return Ok(named(
            found,
            Origin::Derived(format!("named after the {} provider", found.0)),
        ));
    }
    if let Some(found) = find("DefaultConnection") {
        return Ok(named(
            found,
            Origin::Derived("the connection string named DefaultConnection".into()),
        ));
    }
    match strings.as_slice() {
        [only] => {
            return Ok(named(
                only,
                Origin::Derived("the only connection string configured".into()),
            ));
        }
        [] => {}
        _ => {
            return Err(ConfigError::AmbiguousConnectionString {
                module: module.name(),
                names: names(&strings),
            });
        }
    }
    if config.entry(&keys::DB_HOST).is_some() {
        let parts = DB_PARTS
            .iter()
            .filter_map(|(key, keyword)| Some((*keyword, config.entry(key)?)))
            .collect();
        return Ok(Choice::Composed(parts));
    }
    Ok(Choice::Default)
}

fn names(strings: &[(&str, &Entry)]) -> String {
    let names: Vec<&str> = strings.iter().map(|(name, _)| *name).collect();
    names.join(", ")
}

fn describe_names(strings: &[(&str, &Entry)]) -> String {
    if strings.is_empty() {
        "no connection strings are configured".into()
    } else {
        format!("configured: {}", names(strings))
    }
}

/// Expands, composes or defaults the chosen connection, parses it, and anchors a relative SQLite
/// path at the content root (where .NET's working directory would be in the container).
fn open(
    choice: Choice<'_>,
    env: &HashMap<String, String>,
    content_root: &Path,
) -> Result<(ConnectionOrigin, Parsed), ConfigError> {
    let (origin, text) = match choice {
        Choice::Named {
            name,
            entry,
            chosen_by,
        } => {
            let expanded =
                expand(&entry.value, env).map_err(|variable| ConfigError::UnresolvedVariable {
                    key: entry.key.clone(),
                    from: entry.source.clone(),
                    variable: variable.to_owned(),
                })?;
            let origin = ConnectionOrigin::Named {
                name,
                key: entry.key.clone(),
                source: entry.source.clone(),
                chosen_by,
                expanded: expanded.variables,
            };
            (origin, expanded.text)
        }
        Choice::Composed(parts) => {
            let text = parts
                .iter()
                .map(|(keyword, entry)| {
                    format!("{keyword}={}", connection_string::quote(entry.value.trim()))
                })
                .collect::<Vec<_>>()
                .join(";");
            let keys = parts
                .iter()
                .map(|(_, entry)| (entry.key.clone(), entry.source.clone()))
                .collect();
            (ConnectionOrigin::Composed { keys }, text)
        }
        Choice::Default => {
            let settings = SqliteSettings {
                filename: content_root.join(DEFAULT_SQLITE_FILE).display().to_string(),
                ..SqliteSettings::default()
            };
            let parsed = Parsed {
                settings: DbSettings::Sqlite(settings),
                warnings: Vec::new(),
            };
            return Ok((ConnectionOrigin::Default, parsed));
        }
    };
    let mut parsed =
        connection_string::parse(&text).map_err(|reason| ConfigError::InvalidConnectionString {
            connection: origin.to_string(),
            reason,
        })?;
    if let DbSettings::Sqlite(sqlite) = &mut parsed.settings {
        let in_memory = sqlite.mode == SqliteMode::Memory || sqlite.filename == ":memory:";
        if !in_memory && Path::new(&sqlite.filename).is_relative() {
            sqlite.filename = content_root.join(&sqlite.filename).display().to_string();
        }
    }
    Ok((origin, parsed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::error::ACCEPTED_PROVIDERS;

    fn entry(key: &str, value: &str) -> Entry {
        Entry {
            key: key.into(),
            value: value.into(),
            source: Source::Default,
        }
    }

    #[test]
    fn provider_names() {
        for name in [
            "Sqlite",
            "sqlite",
            "EntityFrameworkCore.Sqlite",
            "Elsa.Persistence.EFCore.Sqlite",
        ] {
            assert_eq!(
                parse_provider(&entry("P", name)).unwrap(),
                Provider::Sqlite,
                "{name}"
            );
        }
        for name in [
            "PostgreSql",
            "PostgreSQL",
            "postgres",
            "Npgsql",
            "EntityFrameworkCore.PostgreSql",
            " entityframeworkcore.postgresql ",
            "EFCore.PostgreSql",
        ] {
            assert_eq!(
                parse_provider(&entry("P", name)).unwrap(),
                Provider::PostgreSql,
                "{name}"
            );
        }
        let message = parse_provider(&entry("Elsa:Persistence:Provider", "SqlServer"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            format!(
                "Elsa:Persistence:Provider = SqlServer (from the built-in defaults) is not a provider elsa-rs knows; use {ACCEPTED_PROVIDERS}"
            )
        );
    }

    #[test]
    fn log_lines() {
        let db = |text: &str| connection_string::parse(text).unwrap().settings;
        fn derived<T>(value: T) -> Setting<T> {
            Setting {
                value,
                origin: Origin::Derived(String::new()),
            }
        }
        let module = |module, db: DbSettings| ModuleDb {
            module,
            provider: derived(db.provider()),
            db,
            connection: ConnectionOrigin::Default,
            auto_migrate: derived(false),
        };
        let pg = module(
            Module::Management,
            db(
                "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=hunter2;Pooling=true",
            ),
        );
        assert_eq!(
            pg.log_line(),
            "Using PostgreSql provider for Management (Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=***)"
        );
        let sqlite = module(Module::Runtime, db("Data Source=/app/data/elsa.db"));
        assert_eq!(
            sqlite.log_line(),
            "Using Sqlite provider for Runtime (Data Source=/app/data/elsa.db)"
        );
    }
}
