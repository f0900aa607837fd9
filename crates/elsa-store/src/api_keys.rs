//! API keys (module Management). Only hashes are stored; the key itself is shown once.

use crate::{Database, Result, with_pool};
use chrono::{DateTime, Utc};

#[derive(Clone, Debug)]
pub struct ApiKeyStore {
    db: Database,
}

impl ApiKeyStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Hashes of every stored key.
    pub async fn hashes(&self) -> Result<Vec<String>> {
        Ok(with_pool!(&self.db, read, |p| {
            sqlx::query_scalar("SELECT key_hash FROM \"Elsa_ApiKeys\"")
                .fetch_all(p)
                .await?
        }))
    }

    /// Stores a key hash under `id` unless a key with that id exists; true if this call stored
    /// it. Several nodes starting at once may race here: exactly one wins.
    pub async fn insert_if_absent(
        &self,
        id: &str,
        name: &str,
        key_hash: &str,
        created_at: DateTime<Utc>,
    ) -> Result<bool> {
        let inserted = with_pool!(&self.db, write, |p| {
            sqlx::query(
                "INSERT INTO \"Elsa_ApiKeys\" (id, name, key_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(name)
            .bind(key_hash)
            .bind(created_at)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }
}
