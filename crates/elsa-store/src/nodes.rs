//! The nodes sharing this database (module Runtime): one row each, written at start and on
//! every heartbeat, with the node's own report (version, counters) as a JSON document.

use crate::{Database, Result, with_pool};
use elsa_model::Timestamp;
use serde_json::Value;
use sqlx::types::Json;

/// A node's row.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRow {
    pub node_id: String,
    pub started_at: Timestamp,
    pub heartbeat_at: Timestamp,
    /// Set when the node stopped gracefully; a node that died keeps `None` and stops beating.
    pub stopped_at: Option<Timestamp>,
    pub data: Value,
}

#[derive(Clone, Debug)]
pub struct NodeStore {
    db: Database,
}

impl NodeStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// A tag for the ids this node makes, different from the tags of the 1,023 nodes that
    /// started before it (ids use its low 10 bits): one counter row, incremented atomically.
    pub async fn take_id_tag(&self) -> Result<u64> {
        let tag: i64 = with_pool!(&self.db, write, |p| {
            sqlx::query_scalar("UPDATE \"Elsa_NodeTags\" SET next = next + 1 RETURNING next")
                .fetch_one(p)
                .await?
        });
        Ok(tag as u64)
    }

    /// Writes a node's row, at its start (a node restarting under its id replaces the row of
    /// its previous life) and on each heartbeat.
    pub async fn beat(&self, node: &NodeRow) -> Result<()> {
        with_pool!(&self.db, write, |p| {
            sqlx::query(
                "INSERT INTO \"Elsa_Nodes\" (node_id, started_at, heartbeat_at, stopped_at, data) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (node_id) DO UPDATE SET \
                 started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, \
                 stopped_at = excluded.stopped_at, data = excluded.data",
            )
            .bind(&node.node_id)
            .bind(node.started_at)
            .bind(node.heartbeat_at)
            .bind(node.stopped_at)
            .bind(Json(&node.data))
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Every node's row, by id.
    pub async fn list(&self) -> Result<Vec<NodeRow>> {
        type Row = (String, Timestamp, Timestamp, Option<Timestamp>, Json<Value>);
        let rows: Vec<Row> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(
                "SELECT node_id, started_at, heartbeat_at, stopped_at, data FROM \"Elsa_Nodes\" ORDER BY node_id",
            )
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| NodeRow {
                node_id: r.0,
                started_at: r.1,
                heartbeat_at: r.2,
                stopped_at: r.3,
                data: r.4.0,
            })
            .collect())
    }

    /// Removes the rows of nodes not heard from since `before` (gone for good).
    pub async fn forget_silent(&self, before: Timestamp) -> Result<u64> {
        Ok(with_pool!(&self.db, write, |p| {
            sqlx::query("DELETE FROM \"Elsa_Nodes\" WHERE heartbeat_at < $1")
                .bind(before)
                .execute(p)
                .await?
                .rows_affected()
        }))
    }
}
