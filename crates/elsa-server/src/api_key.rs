//! The API key every `/elsa/api` route requires. With `Elsa:Identity:ApiKey` unset, the first
//! server to start generates one, stores only its hash, and shows the key once.

use elsa_api::identity::hash_key;
use elsa_store::ApiKeyStore;

const BOOTSTRAP_ID: &str = "bootstrap";

/// Generates and stores a key if no key exists yet; returns the key when this call made it.
pub async fn bootstrap(store: &ApiKeyStore) -> elsa_store::Result<Option<String>> {
    if !store.hashes().await?.is_empty() {
        return Ok(None);
    }
    let key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let stored = store
        .insert_if_absent(
            BOOTSTRAP_ID,
            "Generated at first start",
            &hash_key(&key),
            chrono::Utc::now(),
        )
        .await?;
    Ok(stored.then_some(key))
}
