use thiserror::Error;

/// Errors of the persistence layer.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored JSON could not be read: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The database did not confirm a commit (the connection failed during `COMMIT`): the
    /// change may or may not be stored. Never retried blindly, since a retry could apply it twice.
    #[error("the database did not confirm the commit, so it may or may not be stored: {0}")]
    CommitOutcomeUnknown(String),
    /// A compare-and-swap write found a newer version than the one it read.
    #[error("workflow instance {id} was changed by another writer (expected version {expected})")]
    Conflict { id: String, expected: i64 },
    /// A node's commit of work it claimed, after its lease on that work ran out and another
    /// node took it over (see `work::Fence`): the other node's result stands.
    #[error("work item {work_id} is no longer leased by this node: another node took it over")]
    LeaseLost { work_id: String },
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

impl StoreError {
    /// Whether the database could not be reached (no connection, or one that broke), rather
    /// than refusing a statement.
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            Self::Database(
                sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Protocol(_)
            ) | Self::CommitOutcomeUnknown(_)
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
