//! `Authorization: ApiKey <key>` on every `/elsa/api` route.
//!
//! Keys are compared by their SHA-256 hash in constant time. Stored keys are re-read from the
//! database on a miss (at most once a second), so a key created on another node works here too.

use crate::problem::ApiError;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use elsa_store::ApiKeyStore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::sync::RwLock;

/// Hash of an API key as stored: lowercase hex SHA-256.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Checks API keys.
pub struct ApiKeyAuth {
    configured: Option<String>,
    store: Option<ApiKeyStore>,
    known: RwLock<(Vec<String>, Option<Instant>)>,
}

const REFRESH_EVERY: Duration = Duration::from_secs(1);

impl ApiKeyAuth {
    /// `configured` is `Elsa:Identity:ApiKey`; `store` holds generated keys.
    pub fn new(configured: Option<&str>, store: Option<ApiKeyStore>) -> Self {
        Self {
            configured: configured.map(hash_key),
            store,
            known: RwLock::new((Vec::new(), None)),
        }
    }

    async fn accepts(&self, key: &str) -> bool {
        let hash = hash_key(key);
        let matches = |h: &String| bool::from(h.as_bytes().ct_eq(hash.as_bytes()));
        if self.configured.iter().any(matches) || self.known.read().await.0.iter().any(matches) {
            return true;
        }
        let Some(store) = &self.store else {
            return false;
        };
        let mut known = self.known.write().await;
        if known.1.is_some_and(|at| at.elapsed() < REFRESH_EVERY) {
            return false;
        }
        match store.hashes().await {
            Ok(hashes) => *known = (hashes, Some(Instant::now())),
            Err(e) => tracing::warn!(error = %e, "could not read API keys"),
        }
        known.0.iter().any(matches)
    }
}

/// Middleware: 401 with a problem body unless the request carries a valid API key.
pub async fn require_api_key(
    State(auth): State<Arc<ApiKeyAuth>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "missing Authorization header; send 'Authorization: ApiKey <key>'",
            )
        })?;
    let key = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("ApiKey"))
        .map(|(_, key)| key.trim())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "unsupported Authorization scheme; send 'Authorization: ApiKey <key>'",
            )
        })?;
    if !auth.accepts(key).await {
        return Err(ApiError::unauthorized("the API key is not valid"));
    }
    Ok(next.run(request).await)
}
