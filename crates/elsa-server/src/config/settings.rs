//! The typed result of loading configuration, each value with where it came from.

use std::fmt;
use std::path::PathBuf;

use super::database::ModuleDb;
use super::listen::Listen;
use super::sources::{Entry, Source};

/// Everything the server needs from configuration.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// `Production`, `Development`, …: picks `appsettings.{Environment}.json`.
    pub environment: Setting<String>,
    /// Where appsettings files are read from and relative SQLite paths resolve against.
    pub content_root: PathBuf,
    pub listen: Listen,
    pub management: ModuleDb,
    pub runtime: ModuleDb,
    /// `Elsa:Identity:ApiKey`.
    pub api_key: Option<Secret>,
    /// The rest of `Elsa:Identity:*`.
    pub identity: super::IdentitySettings,
    /// `Logging:LogLevel:Default`, as .NET writes it (`Information`, `Debug`, …).
    pub log_level: Setting<String>,
    /// `Logging:Console:FormatterName`: `json` writes one JSON object per log line.
    pub log_format: Setting<String>,
    /// `Elsa:Flowchart:DefaultExecutionMode` (`CounterBased`, Elsa's default, or `TokenBased`):
    /// how flowcharts join. Elsa can also choose per run; its REST API cannot, so this is it.
    pub flowchart_mode: Setting<elsa_engine::FlowchartMode>,
    /// `Elsa:Management:FailOnValidationErrors` (Elsa's `ManagementOptions`, default `true`):
    /// a publish with validation errors fails; with `false` it succeeds and returns them as
    /// warnings.
    pub fail_on_validation_errors: Setting<bool>,
    /// `Elsa:Cors:AllowedOrigins`: the browser origins allowed to call the API.
    pub cors_origins: Setting<elsa_api::cors::AllowedOrigins>,
    /// `Elsa:Studio:Path`: the installed Studio files (absolute).
    pub studio_path: Setting<PathBuf>,
    /// `Elsa:Runtime:*` and `Elsa:Retention:*`.
    pub runtime_settings: super::RuntimeSettings,
    /// `Kestrel:Limits:*` and `Elsa:Http:*`.
    pub http: super::HttpSettings,
}

impl ServerSettings {
    /// Why this server must not start: only in the Production environment, where a missing or
    /// example signing key, a common or short admin password, or a short API key would be a
    /// real exposure. Other environments accept anything (with warnings), so local runs need
    /// no setup.
    pub fn production_refusals(&self) -> Vec<String> {
        if !self.environment.value.eq_ignore_ascii_case("Production") {
            return Vec::new();
        }
        let mut reasons = self.identity.production_refusals();
        reasons.extend(super::IdentitySettings::api_key_refusal(
            self.api_key.as_ref(),
        ));
        reasons
    }

    pub fn modules(&self) -> [&ModuleDb; 2] {
        [&self.management, &self.runtime]
    }
}

/// A value and the reason it has that value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

/// Why a setting has its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A configuration key. Only built for keys that never hold secrets, since it keeps the text.
    Key {
        key: String,
        value: String,
        source: Source,
    },
    /// Nothing set it; the text says what decided instead ("default for a PostgreSql module").
    Derived(String),
}

impl Origin {
    pub(super) fn of(entry: &Entry) -> Self {
        Self::Key {
            key: entry.key.clone(),
            value: entry.value.clone(),
            source: entry.source.clone(),
        }
    }
}

/// `Elsa:Persistence:Provider = PostgreSql, from environment variable Elsa__Persistence__Provider`.
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key { key, value, source } => write!(f, "{key} = {value}, from {source}"),
            Self::Derived(reason) => f.write_str(reason),
        }
    }
}

/// A secret value: `Debug` and `Display` print `***`; [`Secret::expose`] is the only way in.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
