//! `Authorization: ApiKey <key>`: the configured key (`Elsa:Identity:ApiKey`) and the key
//! generated at first start grant `*`; an application's key grants its roles' permissions.
//!
//! The configured and generated keys are compared by SHA-256 in constant time; generated key
//! hashes are re-read from the database on a miss (at most once a second), so a key created on
//! another node works here too. Application keys are PBKDF2-hashed (Elsa's format, ~75 ms to
//! check), so a successful check is remembered for a minute, keyed by the key's SHA-256.

use super::{Principal, permissions_of, random};
use crate::problem::ApiError;
use elsa_store::{ApiKeyStore, IdentityStore};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::sync::RwLock;

/// Hash of a configured or generated API key as stored: lowercase hex SHA-256.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

const REFRESH_GENERATED_EVERY: Duration = Duration::from_secs(1);
/// How long a verified application key is trusted without hashing it again; also how long a
/// change of the application's roles takes to apply.
const REMEMBER_APPLICATION_KEY: Duration = Duration::from_secs(60);

pub(super) struct ApiKeys {
    configured: Option<String>,
    generated_store: ApiKeyStore,
    generated: RwLock<(Vec<String>, Option<Instant>)>,
    identity: IdentityStore,
    verified: RwLock<HashMap<String, (Principal, Instant)>>,
}

impl ApiKeys {
    pub(super) fn new(
        configured: Option<&str>,
        generated: ApiKeyStore,
        identity: IdentityStore,
    ) -> Self {
        Self {
            configured: configured.map(hash_key),
            generated_store: generated,
            generated: RwLock::new((Vec::new(), None)),
            identity,
            verified: RwLock::new(HashMap::new()),
        }
    }

    /// The principal a key stands for, or None if no key matches.
    pub(super) async fn authenticate(&self, key: &str) -> Result<Option<Principal>, ApiError> {
        let hash = hash_key(key);
        if self.is_admin_key(&hash).await {
            return Ok(Some(Principal::admin_key()));
        }
        if let Some((principal, at)) = self.verified.read().await.get(&hash)
            && at.elapsed() < REMEMBER_APPLICATION_KEY
        {
            return Ok(Some(principal.clone()));
        }
        let principal = self.application(key).await?;
        let mut verified = self.verified.write().await;
        verified.retain(|_, (_, at)| at.elapsed() < REMEMBER_APPLICATION_KEY);
        if let Some(p) = &principal {
            verified.insert(hash, (p.clone(), Instant::now()));
        }
        Ok(principal)
    }

    async fn is_admin_key(&self, hash: &str) -> bool {
        let matches = |h: &String| bool::from(h.as_bytes().ct_eq(hash.as_bytes()));
        if self.configured.iter().any(matches) || self.generated.read().await.0.iter().any(matches)
        {
            return true;
        }
        let mut generated = self.generated.write().await;
        if generated
            .1
            .is_some_and(|at| at.elapsed() < REFRESH_GENERATED_EVERY)
        {
            return false;
        }
        match self.generated_store.hashes().await {
            Ok(hashes) => *generated = (hashes, Some(Instant::now())),
            Err(e) => tracing::warn!(error = %e, "could not read API keys"),
        }
        generated.0.iter().any(matches)
    }

    /// Elsa's application key check: the key names its client id; the application's stored
    /// hash must verify.
    async fn application(&self, key: &str) -> Result<Option<Principal>, ApiError> {
        let Some(client_id) = random::client_id_of(key) else {
            return Ok(None);
        };
        let Some(app) = self.identity.application_by_client_id(&client_id).await? else {
            return Ok(None);
        };
        let stored = elsa_secrets::HashedSecret {
            secret: app.hashed_api_key.clone(),
            salt: app.hashed_api_key_salt.clone(),
        };
        let key = key.to_owned();
        let valid = tokio::task::spawn_blocking(move || elsa_secrets::verify(&key, &stored))
            .await
            .map_err(|e| ApiError::internal(format!("API key check failed: {e}")))?;
        if !valid {
            return Ok(None);
        }
        let roles = self.identity.roles_by_ids(&app.roles).await?;
        Ok(Some(Principal {
            name: app.name,
            permissions: permissions_of(&roles),
        }))
    }
}
