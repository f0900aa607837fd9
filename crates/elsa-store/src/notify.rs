//! PostgreSQL notifications between the nodes sharing a database: a transaction that changes
//! definitions notifies [`CHANGES_CHANNEL`], one that queues work nobody holds notifies
//! [`WORK_CHANNEL`], and PostgreSQL delivers both when it commits. They only save waiting:
//! what they announce is in the tables, which nodes also poll, so a lost notification costs
//! time, never correctness. SQLite is single-node and has none.

use crate::{Database, Result};
use sqlx::postgres::PgListener;

/// Definitions were written (see `DefinitionStore::change_sequence`).
pub const CHANGES_CHANNEL: &str = "elsa_changes";
/// Work was queued for any node to claim.
pub const WORK_CHANNEL: &str = "elsa_work";

/// A node's subscription (one dedicated connection).
pub struct Notifications {
    listener: PgListener,
}

/// What the subscription heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A notification on this channel.
    Channel(String),
    /// The connection was lost and is made again: notifications may have been missed.
    Reconnected,
}

impl Database {
    /// Listens on `channels`; `None` on SQLite.
    pub async fn listen(&self, channels: &[&str]) -> Result<Option<Notifications>> {
        let Database::Postgres(pool) = self else {
            return Ok(None);
        };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen_all(channels.iter().copied()).await?;
        Ok(Some(Notifications { listener }))
    }
}

impl Notifications {
    /// Waits for the next notification; an error when the database stays unreachable.
    pub async fn next(&mut self) -> Result<Heard> {
        Ok(match self.listener.try_recv().await? {
            Some(notification) => Heard::Channel(notification.channel().to_owned()),
            None => Heard::Reconnected,
        })
    }
}
