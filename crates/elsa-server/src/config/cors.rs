//! `Elsa:Cors:AllowedOrigins`: the browser origins allowed to call the API.
//!
//! One value with origins separated by `,` or `;` (handy in an environment variable), or an
//! array (`"AllowedOrigins": ["https://a", "https://b"]`, i.e. keys `…:AllowedOrigins:0`, `:1`).
//! Unset, any origin may call, as in Elsa's reference host; `*` says so explicitly.

use axum::http::HeaderValue;
use elsa_api::cors::AllowedOrigins;

use super::ConfigError;
use super::keys::{CORS_ALLOWED_ORIGIN_ITEMS, CORS_ALLOWED_ORIGINS as KEY};
use super::settings::{Origin, Setting};
use super::sources::{Configuration, Entry};

pub(super) fn resolve(config: &Configuration) -> Result<Setting<AllowedOrigins>, ConfigError> {
    let mut entries: Vec<&Entry> = config.entry(&KEY).into_iter().collect();
    let mut items: Vec<(&str, &Entry)> = config.children(&CORS_ALLOWED_ORIGIN_ITEMS).collect();
    // Array items in index order, whatever order the map keeps them in.
    items.sort_by_key(|(index, _)| index.parse::<usize>().unwrap_or(usize::MAX));
    entries.extend(items.into_iter().map(|(_, entry)| entry));
    if entries.is_empty() {
        return Ok(Setting {
            value: AllowedOrigins::Any,
            origin: Origin::Derived(format!("default: {} is not set", KEY.path())),
        });
    }
    let mut origins = Vec::new();
    let mut any = false;
    for entry in &entries {
        for origin in entry.value.split([',', ';']).map(str::trim) {
            if origin.is_empty() {
                continue;
            }
            if origin == "*" {
                any = true;
                continue;
            }
            origins.push(
                parse_origin(origin).ok_or_else(|| ConfigError::InvalidCorsOrigin {
                    key: entry.key.clone(),
                    value: origin.to_owned(),
                    from: entry.source.clone(),
                })?,
            );
        }
    }
    let value = if any || origins.is_empty() {
        AllowedOrigins::Any
    } else {
        AllowedOrigins::List(origins)
    };
    let origin = match entries.as_slice() {
        [entry] => Origin::of(entry),
        _ => Origin::Derived(
            entries
                .iter()
                .map(|e| format!("{} = {}, from {}", e.key, e.value, e.source))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    };
    Ok(Setting { value, origin })
}

/// A browser origin as the `Origin` request header spells it: `http(s)://host[:port]`, no path.
/// A trailing `/` is forgiven, since operators often paste a URL.
fn parse_origin(text: &str) -> Option<HeaderValue> {
    let origin = text.strip_suffix('/').unwrap_or(text);
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))?;
    let valid_host = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !valid_host {
        return None;
    }
    HeaderValue::from_str(&origin.to_ascii_lowercase()).ok()
}
