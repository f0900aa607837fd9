//! Configuration as ASP.NET Core reads it, so the guide's ConfigMaps, env vars and
//! `appsettings.Production.json` work unchanged.
//!
//! Sources, lowest first: built-in defaults < `appsettings.json` < `appsettings.{Environment}.json`
//! (both in the content root) < environment variables < command-line overrides. They merge into
//! one map of case-insensitive `:`-separated keys ([`Configuration`]), and every value remembers
//! its [`Source`], which `config check` and every [`ConfigError`] report.
//!
//! The layering is written by hand rather than with figment or config-rs: both lower-case
//! environment keys but keep JSON key case (so env overrides of PascalCase keys are silently
//! dropped), neither tracks the source of each individual key the way `config check` reports it,
//! and .NET's rules (`__` levels, `ASPNETCORE_` prefixes, blank values unsetting) are a few lines.
//!
//! Nothing here reads the process environment: [`load`] is given it, so tests are hermetic.

mod check;
mod cors;
mod database;
mod error;
mod expand;
mod http;
mod identity;
mod json;
mod keys;
mod listen;
mod runtime;
mod settings;
mod sources;
mod studio;
#[cfg(test)]
mod tests;
mod values;

use elsa_engine::FlowchartMode;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use elsa_store::Module;

pub use check::render_check;
pub use database::{ConnectionOrigin, ModuleDb};
pub use error::ConfigError;
pub use http::HttpSettings;
pub use identity::IdentitySettings;
pub use keys::reference;
pub use listen::Listen;
pub use runtime::RuntimeSettings;
pub use settings::{Origin, Secret, ServerSettings, Setting};
pub use sources::{Configuration, Entry, Source, command_line_overrides};

/// The outcome of [`load`]: settings, plus what the server should log about them.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: ServerSettings,
    /// To log at startup, in order; `config check` prints them too.
    pub notices: Vec<Notice>,
    /// The appsettings files looked for, in load order.
    pub files: Vec<AppSettingsFile>,
    /// The merged keys, for settings this module does not type.
    pub configuration: Configuration,
}

impl Loaded {
    /// One `Using {Provider} provider for {Module} ({masked connection})` line per module.
    pub fn provider_log_lines(&self) -> Vec<String> {
        self.settings.modules().map(ModuleDb::log_line).into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSettingsFile {
    pub path: PathBuf,
    pub loaded: bool,
}

/// Something worth logging about the configuration; never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: NoticeLevel,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    Warn,
}

impl Notice {
    fn info(message: String) -> Self {
        Self {
            level: NoticeLevel::Info,
            message,
        }
    }

    fn warn(message: String) -> Self {
        Self {
            level: NoticeLevel::Warn,
            message,
        }
    }

    /// Logs the notice at its level (the subscriber must be set up first).
    pub fn log(&self) {
        match self.level {
            NoticeLevel::Info => tracing::info!("{}", self.message),
            NoticeLevel::Warn => tracing::warn!("{}", self.message),
        }
    }
}

/// Loads configuration from `content_root`, the process environment `env` (the caller passes
/// `std::env::vars()`), and command-line `overrides` such as `("urls", "http://127.0.0.1:9000")`.
pub fn load(
    content_root: &Path,
    env: &HashMap<String, String>,
    overrides: &[(String, String)],
) -> Result<Loaded, ConfigError> {
    let environment = environment(env, overrides);
    let mut config = Configuration::default();
    sources::add_defaults(&mut config);
    let mut files = Vec::new();
    for name in [
        "appsettings.json".to_owned(),
        format!("appsettings.{}.json", environment.value),
    ] {
        let path = content_root.join(name);
        let loaded = json::add_file(&mut config, &path)?;
        files.push(AppSettingsFile { path, loaded });
    }
    sources::add_environment(&mut config, env);
    sources::add_command_line(&mut config, overrides);

    let mut notices = Vec::new();
    if environment.value.eq_ignore_ascii_case("Production") && !files[1].loaded {
        notices.push(Notice::warn(production_file_missing(
            &files[1].path,
            &environment,
        )));
    }
    let listen = listen::resolve(&config, &mut notices)?;
    let management =
        database::resolve(Module::Management, &config, env, content_root, &mut notices)?;
    let runtime = database::resolve(Module::Runtime, &config, env, content_root, &mut notices)?;
    let settings = ServerSettings {
        environment,
        content_root: content_root.to_owned(),
        listen,
        management,
        runtime,
        api_key: config.get(&keys::API_KEY).map(Secret::new),
        identity: identity::resolve(&config)?,
        log_level: values::text(&config, &keys::LOG_LEVEL),
        log_format: values::text(&config, &keys::LOG_FORMAT),
        flowchart_mode: flowchart_mode(&config)?,
        fail_on_validation_errors: values::boolean(&config, &keys::FAIL_ON_VALIDATION_ERRORS)?,
        cors_origins: cors::resolve(&config)?,
        studio_path: studio::resolve(&config, content_root),
        runtime_settings: runtime::resolve(&config, env)?,
        http: http::resolve(&config)?,
    };
    Ok(Loaded {
        settings,
        notices,
        files,
        configuration: config,
    })
}

/// The variables the .NET host reads the environment name from, in precedence order, plus ours.
const ENVIRONMENT_VARIABLES: [&str; 3] = [
    "ASPNETCORE_ENVIRONMENT",
    "DOTNET_ENVIRONMENT",
    "ELSA_ENVIRONMENT",
];

/// The environment name is needed before the files are read, so it is looked up directly:
/// `--environment`, then the variables above, then `Production` as in ASP.NET Core.
fn environment(env: &HashMap<String, String>, overrides: &[(String, String)]) -> Setting<String> {
    let blank = |value: &&String| value.trim().is_empty();
    let from_command_line = overrides.iter().rev().find_map(|(key, value)| {
        let key = key.trim_start_matches(['-', '/']);
        (key.eq_ignore_ascii_case("environment") && !blank(&value))
            .then(|| (value, Source::CommandLine(key.to_owned())))
    });
    let from_env = || {
        ENVIRONMENT_VARIABLES.iter().find_map(|name| {
            let value = env.get(*name).filter(|v| !blank(v))?;
            Some((value, Source::Environment((*name).to_owned())))
        })
    };
    match from_command_line.or_else(from_env) {
        Some((value, source)) => Setting {
            value: value.trim().to_owned(),
            origin: Origin::Key {
                key: "environment".into(),
                value: value.trim().to_owned(),
                source,
            },
        },
        None => Setting {
            value: keys::ENVIRONMENT
                .default_text()
                .expect("the environment has a default"),
            origin: Origin::Derived(format!(
                "default: none of {} is set",
                ENVIRONMENT_VARIABLES.join(", ")
            )),
        },
    }
}

/// The guide's "ConfigMap not mounted" pitfall: say exactly where the file was expected.
fn production_file_missing(path: &Path, environment: &Setting<String>) -> String {
    let why = match environment.origin {
        Origin::Derived(_) => {
            " (the environment is Production because ASPNETCORE_ENVIRONMENT is not set)"
        }
        Origin::Key { .. } => "",
    };
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    format!(
        "{} was not found{why}; if a ConfigMap provides it, mount it with mountPath: {} and subPath: {file}, otherwise settings come only from appsettings.json and environment variables",
        path.display(),
        path.display()
    )
}

/// `Elsa:Flowchart:DefaultExecutionMode`: `CounterBased` (default) or `TokenBased`, any case.
fn flowchart_mode(config: &Configuration) -> Result<Setting<FlowchartMode>, ConfigError> {
    values::typed(config, &keys::FLOWCHART_MODE, |entry| {
        match entry.value.trim().to_ascii_lowercase().as_str() {
            "counterbased" => Ok(FlowchartMode::CounterBased),
            "tokenbased" => Ok(FlowchartMode::TokenBased),
            _ => Err(ConfigError::InvalidFlowchartMode {
                key: entry.key.clone(),
                value: entry.value.clone(),
                from: entry.source.clone(),
            }),
        }
    })
}
