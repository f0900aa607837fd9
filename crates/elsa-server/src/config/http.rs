//! `Kestrel:Limits:*` and `Elsa:Http:*`: what one client can hold of the server — connections,
//! requests in progress, time to send headers, request size and JSON shape.
//!
//! The `Kestrel:Limits` keys are ASP.NET Core's, so an Elsa deployment's settings carry over;
//! the defaults are tighter where Kestrel's allow a client to exhaust the node (a 30 MB body,
//! unlimited connections). `Elsa:Http` holds the limits Kestrel has no key for.

use std::time::Duration;

use super::check::{rows, secs};
use super::error::ConfigError;
use super::settings::{Origin, Setting};
use super::sources::Configuration;
use super::values::{count, lifetime};

pub(super) const DEFAULTS: [(&str, &str); 6] = [
    ("Kestrel:Limits:RequestHeadersTimeout", "00:00:30"),
    ("Kestrel:Limits:KeepAliveTimeout", "00:02:10"),
    ("Kestrel:Limits:MaxRequestBodySize", "4194304"),
    ("Elsa:Http:MaxImportSize", "33554432"),
    ("Elsa:Http:MaxJsonDepth", "64"),
    ("Elsa:Http:MaxJsonElements", "100000"),
];

const MAX_CONNECTIONS: &str = "Kestrel:Limits:MaxConcurrentConnections";

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `Kestrel:Limits:RequestHeadersTimeout`: from a request's first byte to its last header.
    pub request_headers_timeout: Setting<Duration>,
    /// `Kestrel:Limits:KeepAliveTimeout`: an idle connection is closed after this.
    pub keep_alive_timeout: Setting<Duration>,
    /// `Kestrel:Limits:MaxConcurrentConnections` (unset: 10,000, lowered to fit the open-file
    /// limit at start).
    pub max_connections: Option<Setting<usize>>,
    /// `Elsa:Http:MaxConcurrentRequests` (default: 128 per CPU; the probes are not counted).
    pub max_requests: Setting<usize>,
    /// `Kestrel:Limits:MaxRequestBodySize`: of any request but the imports (bytes).
    pub max_body: Setting<usize>,
    /// `Elsa:Http:MaxImportSize`: of a file upload to the import routes (bytes).
    pub max_import: Setting<usize>,
    /// `Elsa:Http:MaxJsonDepth`: nesting of arrays and objects in a JSON body.
    pub max_json_depth: Setting<usize>,
    /// `Elsa:Http:MaxJsonElements`: values in a JSON body (array items and object members).
    pub max_json_elements: Setting<usize>,
}

pub(super) fn resolve(config: &Configuration) -> Result<HttpSettings, ConfigError> {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let bodies = elsa_api::BodyLimits::default();
    let json = elsa_model::JsonLimits::DEFAULT;
    let mut max_requests = count(config, "Elsa:Http:MaxConcurrentRequests", cpus * 128)?;
    if let Origin::Derived(_) = max_requests.origin {
        max_requests.origin = Origin::Derived("default: 128 per CPU".into());
    }
    Ok(HttpSettings {
        request_headers_timeout: lifetime(
            config,
            "Kestrel:Limits:RequestHeadersTimeout",
            Duration::from_secs(30),
        )?,
        keep_alive_timeout: lifetime(
            config,
            "Kestrel:Limits:KeepAliveTimeout",
            Duration::from_secs(130),
        )?,
        max_connections: config
            .entry(MAX_CONNECTIONS)
            .map(|_| count(config, MAX_CONNECTIONS, 10_000))
            .transpose()?,
        max_requests,
        max_body: count(config, "Kestrel:Limits:MaxRequestBodySize", bodies.max_body)?,
        max_import: count(config, "Elsa:Http:MaxImportSize", bodies.max_import)?,
        max_json_depth: count(config, "Elsa:Http:MaxJsonDepth", json.max_depth)?,
        max_json_elements: count(config, "Elsa:Http:MaxJsonElements", json.max_elements)?,
    })
}

/// The `config check` lines.
pub(super) fn lines(http: &HttpSettings) -> Vec<String> {
    let connections = match &http.max_connections {
        Some(cap) => format!(
            "Connections at most: {}  ({}), fewer if the open-file limit is lower",
            cap.value, cap.origin
        ),
        None => format!(
            "Connections at most: 10000, fewer if the open-file limit is lower  ({MAX_CONNECTIONS} is not set)"
        ),
    };
    let mut lines = vec![connections];
    lines.extend(rows(&[
        (
            "Request headers timeout",
            secs(&http.request_headers_timeout.value),
            &http.request_headers_timeout.origin,
        ),
        (
            "Keep-alive timeout",
            secs(&http.keep_alive_timeout.value),
            &http.keep_alive_timeout.origin,
        ),
        (
            "Requests in progress at most",
            http.max_requests.value.to_string(),
            &http.max_requests.origin,
        ),
        (
            "Request body at most",
            format!("{} bytes", http.max_body.value),
            &http.max_body.origin,
        ),
        (
            "Import upload at most",
            format!("{} bytes", http.max_import.value),
            &http.max_import.origin,
        ),
        (
            "JSON nesting at most",
            http.max_json_depth.value.to_string(),
            &http.max_json_depth.origin,
        ),
        (
            "JSON values at most",
            http.max_json_elements.value.to_string(),
            &http.max_json_elements.origin,
        ),
    ]));
    lines
}
