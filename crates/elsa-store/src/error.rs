use thiserror::Error;

/// Errors of the persistence layer.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored JSON could not be read: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A compare-and-swap write found a newer version than the one it read.
    #[error("workflow instance {id} was changed by another writer (expected version {expected})")]
    Conflict { id: String, expected: i64 },
    #[error("migration {id} failed: {source}")]
    Migration {
        id: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "the database schema of {module} is behind: {pending} migration(s) pending; run: elsa-server migrate"
    )]
    SchemaBehind {
        module: &'static str,
        pending: usize,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
