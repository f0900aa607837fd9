//! The configuration sources and the layered key/value map they build, the way .NET's
//! `ConfigurationBuilder` does: every source flattens to `:`-separated keys, keys compare
//! case-insensitively, and a later source overwrites an earlier one key by key. Each value keeps
//! the source it came from, so `config check` and error messages can say where to fix it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;

use super::ConfigError;
use super::keys::{Key, SECTIONS};

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A value elsa-rs sets before reading anything.
    Default,
    /// An `appsettings*.json` file.
    File(PathBuf),
    /// An environment variable, by its name as set.
    Environment(String),
    /// A `--Key=Value` override, by its key as given.
    CommandLine(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("the built-in defaults"),
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Environment(name) => write!(f, "environment variable {name}"),
            Self::CommandLine(key) => write!(f, "command line --{key}"),
        }
    }
}

/// One configuration value with its key as its source spelled it (levels joined by `:`).
#[derive(Clone)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub source: Source,
}

/// Values may be secrets (connection strings, API keys), so only key and source are shown.
impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {})", self.key, self.source)
    }
}

/// The merged configuration: what .NET's `IConfiguration` would hold.
#[derive(Default, Clone)]
pub struct Configuration {
    /// Keyed by the lower-cased key, which is how .NET compares them.
    entries: BTreeMap<String, Entry>,
}

impl fmt::Debug for Configuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries.values()).finish()
    }
}

impl Configuration {
    pub(super) fn set(&mut self, key: &str, value: &str, source: Source) {
        let entry = Entry {
            key: key.to_owned(),
            value: value.to_owned(),
            source,
        };
        self.entries.insert(key.to_lowercase(), entry);
    }

    /// The entry for `key`, unless it is missing or blank: an empty environment variable unsets
    /// a value from a file, as `string.IsNullOrEmpty` checks do in .NET.
    ///
    /// Keys come from the reference table only, so none can be read without being documented:
    ///
    /// ```compile_fail
    /// fn read(config: &elsa_server::config::Configuration) {
    ///     config.entry("Elsa:Undocumented");
    /// }
    /// ```
    pub fn entry(&self, key: &Key) -> Option<&Entry> {
        self.lookup(key.path())
    }

    /// The entry for a key with a placeholder, e.g. `Elsa:Modules:{Module}:Persistence:Provider`
    /// for one module.
    pub fn entry_for(&self, key: &Key, segment: &str) -> Option<&Entry> {
        self.lookup(&key.path_for(segment))
    }

    pub fn get(&self, key: &Key) -> Option<&str> {
        self.entry(key).map(|e| e.value.as_str())
    }

    /// The non-blank values a key with a trailing placeholder stands for (`ConnectionStrings:{Name}`),
    /// by the placeholder's level as spelled in their source.
    pub fn children<'a>(&'a self, key: &Key) -> impl Iterator<Item = (&'a str, &'a Entry)> {
        let prefix = format!("{}:", key.parent().to_lowercase());
        self.entries
            .iter()
            .filter(move |(path, e)| {
                path.strip_prefix(&prefix)
                    .is_some_and(|child| !child.contains(':'))
                    && !e.value.trim().is_empty()
            })
            .map(|(_, e)| {
                let name = e.key.rsplit(':').next().unwrap_or(&e.key);
                (name, e)
            })
    }

    /// Keys compare case-insensitively, as in .NET. Private: the server reads keys of the
    /// reference table only ([`Key`]).
    fn lookup(&self, path: &str) -> Option<&Entry> {
        self.entries
            .get(&path.to_lowercase())
            .filter(|e| !e.value.trim().is_empty())
    }

    /// Any path, for the tests of how sources flatten.
    #[cfg(test)]
    pub(super) fn get_path(&self, path: &str) -> Option<&str> {
        self.lookup(path).map(|e| e.value.as_str())
    }
}

/// Values that hold before any file is read: each key's default from the reference table.
/// (`http_ports = 8080` mirrors `ASPNETCORE_HTTP_PORTS=8080`, which the .NET 8 container images
/// set and the guide's `containerPort: 8080` relies on.)
pub(super) fn add_defaults(config: &mut Configuration) {
    for (_, keys) in SECTIONS {
        for key in *keys {
            if let Some(value) = key.default_text() {
                config.set(key.path(), &value, Source::Default);
            }
        }
    }
}

/// Environment variables: `__` (or `:`) separates levels. `DOTNET_`/`ASPNETCORE_` variables also
/// count with the prefix removed (`ASPNETCORE_URLS` → `urls`), as the .NET host does. .NET puts
/// those prefixed ones below the JSON files; here they rank with the other variables, just below
/// an unprefixed variable of the same key, because an operator setting `ASPNETCORE_URLS` expects
/// it to win over a file. Variables are applied in name order, so the result never depends on
/// the order of the map.
pub(super) fn add_environment(config: &mut Configuration, env: &HashMap<String, String>) {
    let mut vars: Vec<(&String, &String)> = env.iter().collect();
    vars.sort();
    for prefix in ["DOTNET_", "ASPNETCORE_"] {
        for (name, value) in &vars {
            let stripped = name
                .get(..prefix.len())
                .filter(|head| head.eq_ignore_ascii_case(prefix))
                .map(|_| &name[prefix.len()..]);
            if let Some(key) = stripped.filter(|k| !k.is_empty()) {
                config.set(&level_key(key), value, Source::Environment((*name).clone()));
            }
        }
    }
    for (name, value) in vars {
        config.set(&level_key(name), value, Source::Environment(name.clone()));
    }
}

/// Command-line overrides as `(key, value)` pairs, e.g. `("urls", "http://127.0.0.1:9000")`.
pub(super) fn add_command_line(config: &mut Configuration, overrides: &[(String, String)]) {
    for (key, value) in overrides {
        let key = key.trim_start_matches(['-', '/']);
        config.set(&level_key(key), value, Source::CommandLine(key.to_owned()));
    }
}

/// `Elsa__Persistence__Provider` → `Elsa:Persistence:Provider`.
fn level_key(name: &str) -> String {
    name.replace("__", ":")
}

/// Splits trailing arguments the way .NET's command-line provider does: `--Key=Value`,
/// `--Key Value`, `/Key=Value`, `/Key Value` and `Key=Value`.
pub fn command_line_overrides(args: &[String]) -> Result<Vec<(String, String)>, ConfigError> {
    let mut pairs = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let invalid = || ConfigError::InvalidArgument {
            argument: arg.clone(),
        };
        let flag = arg.strip_prefix("--").or_else(|| arg.strip_prefix('/'));
        let (key, value) = match (flag, arg.split_once('=')) {
            (Some(flag), _) => match flag.split_once('=') {
                Some((key, value)) => (key, value.to_owned()),
                None => (flag, args.next().ok_or_else(invalid)?.clone()),
            },
            (None, Some((key, value))) => (key, value.to_owned()),
            (None, None) => return Err(invalid()),
        };
        if key.trim().is_empty() {
            return Err(invalid());
        }
        pairs.push((key.to_owned(), value));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keys::CONNECTION_STRING;

    fn env(vars: &[(&str, &str)]) -> HashMap<String, String> {
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn keys_are_case_insensitive_and_later_sources_win() {
        let mut config = Configuration::default();
        add_defaults(&mut config);
        config.set("Elsa:AutoMigrate", "false", Source::File("a.json".into()));
        add_environment(&mut config, &env(&[("ELSA__AUTOMIGRATE", "true")]));
        let entry = config.lookup("elsa:automigrate").unwrap();
        assert_eq!(entry.value, "true");
        assert_eq!(entry.key, "ELSA:AUTOMIGRATE");
        assert_eq!(
            entry.source,
            Source::Environment("ELSA__AUTOMIGRATE".into())
        );
        add_command_line(
            &mut config,
            &[("--Elsa:AutoMigrate".into(), "false".into())],
        );
        assert_eq!(config.get_path("ELSA:AUTOMIGRATE"), Some("false"));
        assert_eq!(
            config
                .lookup("Elsa:AutoMigrate")
                .unwrap()
                .source
                .to_string(),
            "command line --Elsa:AutoMigrate"
        );
    }

    #[test]
    fn prefixed_variables_map_without_prefix_below_unprefixed_ones() {
        let mut config = Configuration::default();
        add_environment(
            &mut config,
            &env(&[
                ("ASPNETCORE_URLS", "http://+:1"),
                ("DOTNET_URLS", "http://+:2"),
                ("ASPNETCORE_HTTP_PORTS", "8081"),
                ("HTTP_PORTS", "9000"),
            ]),
        );
        assert_eq!(config.get_path("urls"), Some("http://+:1"));
        assert_eq!(config.get_path("http_ports"), Some("9000"));
        assert_eq!(config.get_path("ASPNETCORE_URLS"), Some("http://+:1"));
    }

    #[test]
    fn colon_separated_variables_and_blank_values() {
        let mut config = Configuration::default();
        config.set("Elsa:Persistence:Provider", "Sqlite", Source::Default);
        add_environment(
            &mut config,
            &env(&[
                ("Elsa:Persistence:Provider", " "),
                ("ConnectionStrings:A", "x"),
            ]),
        );
        assert_eq!(config.get_path("Elsa:Persistence:Provider"), None);
        assert_eq!(config.get_path("connectionstrings:a"), Some("x"));
    }

    #[test]
    fn children_are_one_level_deep() {
        let mut config = Configuration::default();
        config.set("ConnectionStrings:PostgreSql", "Host=a", Source::Default);
        config.set("ConnectionStrings:Empty", "", Source::Default);
        config.set("ConnectionStrings:Nested:X", "y", Source::Default);
        config.set("ConnectionStringsX", "z", Source::Default);
        let names: Vec<&str> = config
            .children(&CONNECTION_STRING)
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["PostgreSql"]);
    }

    #[test]
    fn debug_never_shows_values() {
        let mut config = Configuration::default();
        config.set("ConnectionStrings:Pg", "Password=hunter2", Source::Default);
        let debug = format!("{config:?}");
        assert!(
            debug.contains("ConnectionStrings:Pg") && !debug.contains("hunter2"),
            "{debug}"
        );
    }

    #[test]
    fn command_line_forms() {
        let args: Vec<String> = [
            "--urls=http://127.0.0.1:9000",
            "--Elsa:AutoMigrate",
            "true",
            "/environment",
            "Staging",
            "Logging:LogLevel:Default=Debug",
        ]
        .map(String::from)
        .into();
        let pairs = command_line_overrides(&args).unwrap();
        let expected = [
            ("urls", "http://127.0.0.1:9000"),
            ("Elsa:AutoMigrate", "true"),
            ("environment", "Staging"),
            ("Logging:LogLevel:Default", "Debug"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(pairs, expected);
        for bad in [&["--urls"][..], &["stray"], &["--=x"]] {
            let args: Vec<String> = bad.iter().map(|s| s.to_string()).collect();
            let err = command_line_overrides(&args).unwrap_err();
            assert!(matches!(err, ConfigError::InvalidArgument { .. }), "{err}");
        }
    }
}
