//! The trigger index (module Management): one row per trigger of each published version, as
//! Elsa's stored triggers. Rows are written with the definitions they belong to
//! ([`crate::DefinitionStore::save`]), so the index never disagrees with what is published;
//! this module reads them and moves the schedule of timer triggers on.

use crate::work::{NewWork, insert_work};
use crate::{Database, Result, with_pool};
use elsa_model::Timestamp;
use serde_json::Value;
use sqlx::types::Json;

/// One trigger of a published version.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTrigger {
    pub id: String,
    pub definition_id: String,
    pub definition_version_id: String,
    /// The stimulus name (the activity type: `Elsa.HttpEndpoint`, `Elsa.Event`, `Elsa.Cron`...).
    pub name: String,
    pub activity_id: String,
    /// The stimulus hash a lookup finds it by.
    pub hash: String,
    pub payload: Value,
    /// Scheduled triggers: when the next tick is due.
    pub next_fire_at: Option<Timestamp>,
}

pub(crate) const COLUMNS: &str =
    "id, definition_id, definition_version_id, name, activity_id, hash, payload, next_fire_at";

pub(crate) type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Json<Value>,
    Option<Timestamp>,
);

pub(crate) fn from_row(r: Row) -> StoredTrigger {
    StoredTrigger {
        id: r.0,
        definition_id: r.1,
        definition_version_id: r.2,
        name: r.3,
        activity_id: r.4,
        hash: r.5,
        payload: r.6.0,
        next_fire_at: r.7,
    }
}

#[derive(Clone, Debug)]
pub struct TriggerStore {
    db: Database,
}

impl TriggerStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Every trigger with stimulus `name` (the HTTP route table is built from these).
    pub async fn named(&self, name: &str) -> Result<Vec<StoredTrigger>> {
        self.select(
            "WHERE name = $1 ORDER BY definition_id, activity_id, hash",
            &[name],
        )
        .await
    }

    /// The triggers a stimulus matches.
    pub async fn matching(&self, name: &str, hash: &str) -> Result<Vec<StoredTrigger>> {
        self.select(
            "WHERE name = $1 AND hash = $2 ORDER BY definition_id, activity_id",
            &[name, hash],
        )
        .await
    }

    pub async fn get(&self, id: &str) -> Result<Option<StoredTrigger>> {
        Ok(self
            .select("WHERE id = $1", &[id])
            .await?
            .into_iter()
            .next())
    }

    /// The triggers of a definition's published version.
    pub async fn of_definition(&self, definition_id: &str) -> Result<Vec<StoredTrigger>> {
        self.select(
            "WHERE definition_id = $1 ORDER BY activity_id, hash",
            &[definition_id],
        )
        .await
    }

    async fn select(&self, clause: &str, args: &[&str]) -> Result<Vec<StoredTrigger>> {
        let sql = format!("SELECT {COLUMNS} FROM \"Elsa_Triggers\" {clause}");
        let rows: Vec<Row> = with_pool!(&self.db, read, |p| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for arg in args {
                q = q.bind(*arg);
            }
            q.fetch_all(p).await?
        });
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// When the earliest scheduled trigger is due.
    pub async fn next_fire_at(&self) -> Result<Option<Timestamp>> {
        Ok(with_pool!(&self.db, read, |p| {
            sqlx::query_scalar(
                "SELECT next_fire_at FROM \"Elsa_Triggers\" WHERE next_fire_at IS NOT NULL \
                 ORDER BY next_fire_at LIMIT 1",
            )
            .fetch_optional(p)
            .await?
        }))
    }

    /// Scheduled triggers due at `now`, earliest first.
    pub async fn due(&self, now: Timestamp, limit: i64) -> Result<Vec<StoredTrigger>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM \"Elsa_Triggers\" WHERE next_fire_at IS NOT NULL AND next_fire_at <= $1 \
             ORDER BY next_fire_at LIMIT $2"
        );
        let rows: Vec<Row> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(limit)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// Fires the tick of a scheduled trigger due at `fired`: queues `work` (in the Runtime
    /// database) and moves the schedule on to `next` (none: it never fires again). Both
    /// happen in one transaction when the modules share a database. False when the tick was
    /// fired already (the schedule moved meanwhile), and then nothing is queued. With two
    /// databases the work is queued first: a crash before the schedule moves fires the tick
    /// again, and the work's deterministic id makes that second queueing a no-op.
    pub async fn fire(
        &self,
        runtime: &Database,
        trigger_id: &str,
        fired: Timestamp,
        next: Option<Timestamp>,
        work: &NewWork,
    ) -> Result<bool> {
        let advance =
            "UPDATE \"Elsa_Triggers\" SET next_fire_at = $1 WHERE id = $2 AND next_fire_at = $3";
        let items = std::slice::from_ref(work);
        if self.db.same_as(runtime) {
            return Ok(with_pool!(&self.db, write, |p| {
                let mut tx = p.begin().await?;
                let moved = sqlx::query(advance)
                    .bind(next)
                    .bind(trigger_id)
                    .bind(fired)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    > 0;
                if moved {
                    insert_work!(tx, &self.db, items, fired);
                }
                tx.commit().await?;
                moved
            }));
        }
        crate::WorkStore::new(runtime.clone())
            .insert(items, fired)
            .await?;
        Ok(with_pool!(&self.db, write, |p| {
            sqlx::query(advance)
                .bind(next)
                .bind(trigger_id)
                .bind(fired)
                .execute(p)
                .await?
                .rows_affected()
                > 0
        }))
    }
}
