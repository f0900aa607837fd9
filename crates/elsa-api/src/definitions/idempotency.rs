//! `Idempotency-Key` on execute and dispatch: a client that did not get an answer (a timeout, a
//! dropped connection, a "Commit outcome unknown" 503) retries with the same key and gets the
//! first request's instance instead of starting a second one.
//!
//! The key is stored with the instance by naming it: the instance id is derived from the route,
//! the definition and the key, so the first request's commit is what records the key — there is
//! no second table to keep in step, and a request whose commit was lost left no key behind.

use crate::AppState;
use crate::problem::ApiError;
use axum::http::HeaderMap;
use elsa_model::WorkflowInstance;
use sha2::{Digest, Sha256};

const HEADER: &str = "idempotency-key";

/// Longest key accepted (UUIDs and ULIDs are far shorter).
const MAX_KEY_LENGTH: usize = 255;

/// The instance id a keyed request runs under: `None` without the header.
pub(super) fn instance_id(
    headers: &HeaderMap,
    route: &str,
    definition_id: &str,
) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LENGTH)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "the Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} visible ASCII characters"
            ))
        })?;
    let digest = Sha256::digest(format!("{route}\n{definition_id}\n{key}"));
    Ok(Some(hex::encode(&digest[..8])))
}

/// The instance an earlier request with the same key started, if any.
pub(super) async fn first(
    state: &AppState,
    id: Option<&str>,
) -> Result<Option<WorkflowInstance>, ApiError> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(state
        .runtime
        .instances()
        .get(id)
        .await?
        .map(|(instance, _)| instance))
}

/// A keyed request that failed because a twin with the same key got there first (both found no
/// instance, one committed) answers the twin's instance; any other outcome stands.
pub(super) async fn settle<T>(
    state: &AppState,
    id: Option<&str>,
    outcome: Result<T, ApiError>,
    from_first: impl FnOnce(WorkflowInstance) -> T,
) -> Result<T, ApiError> {
    match outcome {
        Err(e) if id.is_some() => match first(state, id).await {
            Ok(Some(instance)) => Ok(from_first(instance)),
            _ => Err(e),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(key: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, key.parse().unwrap());
        headers
    }

    #[test]
    fn one_key_names_one_instance_per_route_and_definition() {
        let id = |key: &str, route: &str, def: &str| {
            instance_id(&headers(key), route, def).unwrap().unwrap()
        };
        assert_eq!(id("k1", "execute", "d"), id("k1", "execute", "d"));
        assert_eq!(id("k1", "execute", "d").len(), 16);
        assert_ne!(id("k1", "execute", "d"), id("k2", "execute", "d"));
        assert_ne!(id("k1", "execute", "d"), id("k1", "dispatch", "d"));
        assert_ne!(id("k1", "execute", "d"), id("k1", "execute", "e"));
        assert_eq!(
            instance_id(&HeaderMap::new(), "execute", "d").unwrap(),
            None
        );
        assert!(instance_id(&headers(&"x".repeat(300)), "execute", "d").is_err());
    }
}
