//! Everything that stops configuration from loading. Each message is one line that names the key
//! (and where it was set) and says how to fix it; none contains a secret, because connection
//! strings are only ever described by their key, and parser reasons never quote values.

use std::path::PathBuf;

use elsa_store::Provider;
use elsa_store::connection_string::ConnectionStringError;
use thiserror::Error;

use super::sources::Source;

/// The provider names `Elsa:…:Provider` accepts, for messages.
pub(super) const ACCEPTED_PROVIDERS: &str = "Sqlite, PostgreSql, EntityFrameworkCore.Sqlite or EntityFrameworkCore.PostgreSql (also Postgres, Npgsql)";

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error(
        "{path} is a directory, not a file; a Kubernetes subPath mount creates a directory when the ConfigMap has no key of that name, so add the key to the ConfigMap or fix the subPath"
    )]
    AppSettingsIsDirectory { path: PathBuf },

    #[error("{path} cannot be read ({reason}); make it a readable file or remove it")]
    ReadFile { path: PathBuf, reason: String },

    #[error(
        "{path} is not valid JSON ({reason}); fix the file or the ConfigMap it is mounted from"
    )]
    InvalidJson { path: PathBuf, reason: String },

    #[error(
        "{key} = {value} (from {from}) is not a provider elsa-rs knows; use {ACCEPTED_PROVIDERS}"
    )]
    UnknownProvider {
        key: String,
        value: String,
        from: Source,
    },

    #[error(
        "{key} = {value} (from {from}) but {connection} is a {actual} connection string; set {key} to {actual}, or use a {provider} connection string"
    )]
    ProviderMismatch {
        key: String,
        value: String,
        from: Source,
        provider: Provider,
        connection: String,
        actual: Provider,
    },

    #[error(
        "{key} = {value} (from {from}) but no connection string is configured; set ConnectionStrings__{provider} (or DB_HOST, DB_NAME, DB_USER, DB_PASSWORD)"
    )]
    NoConnectionString {
        key: String,
        value: String,
        from: Source,
        provider: Provider,
    },

    #[error(
        "{key} = {name} (from {from}) but ConnectionStrings:{name} is not set ({configured}); add ConnectionStrings__{name} or change {key}"
    )]
    MissingConnectionString {
        key: String,
        name: String,
        from: Source,
        /// "configured: A, B" or "no connection strings are configured".
        configured: String,
    },

    #[error(
        "several connection strings are configured ({names}) and none is selected for the {module} module; set Elsa__Persistence__ConnectionStringName (or Elsa__Persistence__Provider) to choose"
    )]
    AmbiguousConnectionString { module: &'static str, names: String },

    #[error(
        "{key} (from {from}) refers to $({variable}), which is not set; set {variable} in the container's env (in Kubernetes declare it before the variable that references it), or write $$({variable}) for a literal"
    )]
    UnresolvedVariable {
        key: String,
        from: Source,
        variable: String,
    },

    #[error("{connection} is not a valid connection string: {reason}; fix it there")]
    InvalidConnectionString {
        /// The key and its source, e.g. `ConnectionStrings:PostgreSql (from …)`.
        connection: String,
        reason: ConnectionStringError,
    },

    #[error("{key} = {value} (from {from}) is not a boolean; set it to true or false")]
    InvalidBool {
        key: String,
        value: String,
        from: Source,
    },

    #[error(
        "{key} = {value} (from {from}) is not a positive time span; write it as hh:mm:ss or d.hh:mm:ss (e.g. 01:00:00)"
    )]
    InvalidTimeSpan {
        key: String,
        value: String,
        from: Source,
    },

    #[error("{key} = {value} (from {from}) is not a positive whole number; set it to e.g. 4")]
    InvalidCount {
        key: String,
        value: String,
        from: Source,
    },

    #[error(
        "{key} = {value} (from {from}) is not a flowchart execution mode; use CounterBased or TokenBased"
    )]
    InvalidFlowchartMode {
        key: String,
        value: String,
        from: Source,
    },

    #[error(
        "{key} = {value} (from {from}) is not a SQLite synchronous level; use Normal (a commit survives a crash of the process) or Full (it also survives a power loss)"
    )]
    InvalidSqliteSynchronous {
        key: String,
        value: String,
        from: Source,
    },

    #[error(
        "{key} contains {value} (from {from}), which is not a browser origin; write origins as scheme://host[:port] (e.g. https://studio.example.com), separated by commas, or * for any"
    )]
    InvalidCorsOrigin {
        key: String,
        value: String,
        from: Source,
    },

    #[error(
        "{key} = {value} (from {from}) asks for https, but elsa-rs serves plain HTTP and TLS is terminated at the ingress; use http:// (e.g. http://+:8080)"
    )]
    HttpsNotSupported {
        key: String,
        value: String,
        from: Source,
    },

    #[error(
        "{key} = {value} (from {from}) is not a valid listen address: {reason}; use e.g. urls=http://+:8080 or http_ports=8080;8081"
    )]
    InvalidListen {
        key: String,
        value: String,
        from: Source,
        reason: &'static str,
    },

    #[error(
        "command-line argument `{argument}` is not a configuration override; write it as --Key=Value or --Key Value (e.g. --Elsa:AutoMigrate=true)"
    )]
    InvalidArgument { argument: String },
}
