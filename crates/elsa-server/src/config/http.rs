//! `Kestrel:Limits:*` and `Elsa:Http:*`: what one client can hold of the server — connections,
//! requests in progress, time to send headers, request size and JSON shape.
//!
//! The `Kestrel:Limits` keys are ASP.NET Core's, so an Elsa deployment's settings carry over;
//! the defaults are tighter where Kestrel's allow a client to exhaust the node (a 30 MB body,
//! unlimited connections). `Elsa:Http` holds the limits Kestrel has no key for.

use std::time::Duration;

use super::check::{rows, secs};
use super::error::ConfigError;
use super::keys::{self, MAX_CONNECTIONS};
use super::settings::Setting;
use super::sources::Configuration;
use super::values::{count, lifetime, optional, parse_count};

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
    Ok(HttpSettings {
        request_headers_timeout: lifetime(config, &keys::REQUEST_HEADERS_TIMEOUT)?,
        keep_alive_timeout: lifetime(config, &keys::KEEP_ALIVE_TIMEOUT)?,
        max_connections: optional(config, &MAX_CONNECTIONS, parse_count)?,
        max_requests: count(config, &keys::MAX_REQUESTS)?,
        max_body: count(config, &keys::MAX_BODY)?,
        max_import: count(config, &keys::MAX_IMPORT)?,
        max_json_depth: count(config, &keys::MAX_JSON_DEPTH)?,
        max_json_elements: count(config, &keys::MAX_JSON_ELEMENTS)?,
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
            "Connections at most: {}, fewer if the open-file limit is lower  ({} is not set)",
            crate::connections::DEFAULT_MAX_CONNECTIONS,
            MAX_CONNECTIONS.path()
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
