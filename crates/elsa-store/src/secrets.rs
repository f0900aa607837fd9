//! Secrets the server generates for itself (module Management), one value per name and
//! database, so every node that shares the database signs and verifies alike.

use crate::{Database, Result, with_pool};

#[derive(Clone, Debug)]
pub struct SecretStore {
    db: Database,
}

impl SecretStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The secret stored under `name`; if there is none yet, `candidate` is stored and
    /// returned. Nodes racing here all end up with the one value that was stored first.
    pub async fn get_or_insert(&self, name: &str, candidate: &str) -> Result<String> {
        Ok(with_pool!(&self.db, write, |p| {
            sqlx::query(
                "INSERT INTO \"Elsa_ServerSecrets\" (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(candidate)
            .execute(p)
            .await?;
            sqlx::query_scalar("SELECT value FROM \"Elsa_ServerSecrets\" WHERE name = $1")
                .bind(name)
                .fetch_one(p)
                .await?
        }))
    }
}
