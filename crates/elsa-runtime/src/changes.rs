//! What other nodes did that this node must learn: definitions they wrote (the caches here —
//! the route table, loaded workflows that inline others — go stale) and work they queued
//! (this node's idle worker may take it). PostgreSQL notifies both at once (`LISTEN`); the
//! definitions' change sequence, read every [`CHANGE_POLL`], covers notifications lost while
//! the listening connection was down, and the worker's own polling covers work. On SQLite
//! there is one node, whose own writes drop its caches: nothing to learn.

use crate::Runtime;
use elsa_store::{CHANGES_CHANNEL, Database, Heard, Notifications, WORK_CHANNEL};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How often the change sequence is read: a publish on one node is served by every other
/// within this, even with notifications lost.
const CHANGE_POLL: Duration = Duration::from_millis(500);
/// Wait before listening again after the database refused.
const RELISTEN: Duration = Duration::from_secs(1);

impl Runtime {
    /// Listens for other nodes' changes and work until `shutdown`.
    pub async fn run_change_watch(self: Arc<Self>, shutdown: CancellationToken) {
        if matches!(self.management_db, Database::Sqlite { .. }) {
            return;
        }
        let mut listener: Option<Notifications> = None;
        let mut seen: Option<i64> = None;
        let mut next_read = Instant::now();
        loop {
            if listener.is_none() {
                listener = self.subscribe().await;
            }
            if Instant::now() >= next_read {
                next_read = Instant::now() + CHANGE_POLL;
                match self.definitions.change_sequence().await {
                    Ok(now) => {
                        if seen.is_some_and(|before| before != now) {
                            self.definitions_changed(&[], false);
                        }
                        seen = Some(now);
                    }
                    Err(error) => tracing::debug!(%error, "could not read the change sequence"),
                }
            }
            let heard = async {
                match listener.as_mut() {
                    Some(listener) => listener.next().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep_until(next_read) => {}
                heard = heard => match heard {
                    Ok(Heard::Channel(channel)) if channel == WORK_CHANNEL => self.wake_worker(),
                    // Read the sequence at once: a change, or maybe a missed one.
                    Ok(Heard::Channel(_) | Heard::Reconnected) => next_read = Instant::now(),
                    Err(error) => {
                        tracing::warn!(%error, "lost the database notifications; polling meanwhile");
                        listener = None;
                        tokio::select! {
                            () = shutdown.cancelled() => return,
                            () = tokio::time::sleep(RELISTEN) => {}
                        }
                    }
                },
            }
        }
    }

    /// One subscription for both channels when the modules share a database, else the
    /// changes' (the worker polls for work).
    async fn subscribe(&self) -> Option<Notifications> {
        let channels: &[&str] = if self.management_db.same_as(&self.runtime_db) {
            &[CHANGES_CHANNEL, WORK_CHANNEL]
        } else {
            &[CHANGES_CHANNEL]
        };
        match self.management_db.listen(channels).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::debug!(%error, "could not listen for database notifications yet");
                None
            }
        }
    }
}
