//! The work queue (module Runtime): what the runtime still has to do, each row due at a time.
//!
//! A row is written in the transaction of the state that caused it ([`crate::InstanceCommit`]
//! carries new rows) and deleted in the transaction of the state that did the work (its
//! `done_work`), so a crash between the two neither loses the work nor lets it be done twice
//! over. A worker *claims* due rows by taking a lease (`locked_by`, `locked_until`); a row
//! whose lease ran out (its node died) is due again. On PostgreSQL claims skip rows another
//! transaction is claiming (`FOR UPDATE SKIP LOCKED`); SQLite has one writer anyway.
//!
//! **Fencing:** whatever ends a claimed row — the instance commit of the run that did its work
//! ([`Fence`]), completing, replacing, retrying or dead-lettering it — holds only while the row
//! is still leased by the node that claimed it. A node that lost its lease (it was paused or
//! cut off from the database for longer than the lease, and another node took the row over)
//! changes nothing: its commit fails with [`StoreError::LeaseLost`].

use crate::query::{Arg, Conditions, ListQuery, Page, PageRequest};
use crate::{Database, Result, StoreError, with_pool};
use elsa_model::Timestamp;
use serde_json::Value;
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

/// A row to add to the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWork {
    /// Deterministic where the same work must never be queued twice (a second insert of the
    /// same id is ignored).
    pub id: String,
    pub kind: String,
    pub due_at: Timestamp,
    pub workflow_instance_id: Option<String>,
    pub payload: Value,
    /// Claimed at once by the writer, which does the work itself right after the commit.
    pub lease: Option<Lease>,
}

/// The row a commit did the work of, and the node that must still hold its lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub work_id: String,
    pub owner: String,
}

/// Who works on a row, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub owner: String,
    pub until: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkStatus {
    Pending,
    /// Its attempts are used up; it stays for inspection and is never claimed again.
    DeadLettered,
}

impl WorkStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::DeadLettered => "DeadLettered",
        }
    }
}

impl std::str::FromStr for WorkStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "Pending" => Ok(Self::Pending),
            "DeadLettered" => Ok(Self::DeadLettered),
            other => Err(format!("unknown work status '{other}'")),
        }
    }
}

/// A row of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem {
    pub id: String,
    pub kind: String,
    pub status: WorkStatus,
    pub due_at: Timestamp,
    pub workflow_instance_id: Option<String>,
    pub payload: Value,
    /// Claims so far (the current one included).
    pub attempts: i32,
    pub last_error: Option<String>,
    pub locked_by: Option<String>,
    pub locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// Filters of the queue listing.
#[derive(Debug, Clone, Default)]
pub struct WorkFilter {
    pub status: Option<WorkStatus>,
    pub kind: Option<String>,
    pub workflow_instance_id: Option<String>,
    pub page: Option<PageRequest>,
}

const COLUMNS: &str = "id, kind, status, due_at, workflow_instance_id, payload, attempts, last_error, locked_by, locked_until, created_at";

type Row = (
    String,
    String,
    String,
    Timestamp,
    Option<String>,
    Json<Value>,
    i32,
    Option<String>,
    Option<String>,
    Option<Timestamp>,
    Timestamp,
);

fn from_row(r: Row) -> Result<WorkItem> {
    Ok(WorkItem {
        id: r.0,
        kind: r.1,
        status: r
            .2
            .parse()
            .map_err(|e: String| StoreError::Corrupt(serde::de::Error::custom(e)))?,
        due_at: r.3,
        workflow_instance_id: r.4,
        payload: r.5.0,
        attempts: r.6,
        last_error: r.7,
        locked_by: r.8,
        locked_until: r.9,
        created_at: r.10,
    })
}

/// Inserts rows in an open transaction; a row whose id exists already is left alone. On
/// PostgreSQL, rows nobody holds wake the other nodes' workers when the transaction commits.
macro_rules! insert_work {
    ($tx:expr, $db:expr, $items:expr, $now:expr) => {
        if matches!($db, $crate::Database::Postgres(_))
            && $items.iter().any(|w: &$crate::work::NewWork| w.lease.is_none())
        {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind($crate::WORK_CHANNEL)
                .execute(&mut *$tx)
                .await?;
        }
        for chunk in $items.chunks($crate::commit::ROWS_PER_INSERT) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO \"Elsa_WorkItems\" (id, kind, status, due_at, workflow_instance_id, payload, \
                 attempts, locked_by, locked_until, created_at) ",
            );
            q.push_values(chunk, |mut row, w: &$crate::work::NewWork| {
                row.push_bind(w.id.clone())
                    .push_bind(w.kind.clone())
                    .push_bind($crate::work::WorkStatus::Pending.as_str())
                    .push_bind(w.due_at)
                    .push_bind(w.workflow_instance_id.clone())
                    .push_bind(Json(w.payload.clone()))
                    .push_bind(i32::from(w.lease.is_some()))
                    .push_bind(w.lease.as_ref().map(|l| l.owner.clone()))
                    .push_bind(w.lease.as_ref().map(|l| l.until))
                    .push_bind($now);
            });
            q.push(" ON CONFLICT (id) DO NOTHING");
            q.build().execute(&mut *$tx).await?;
        }
    };
}
pub(crate) use insert_work;

/// Deletes rows by id in an open transaction.
macro_rules! delete_work {
    ($tx:expr, $ids:expr) => {
        for chunk in $ids.chunks($crate::commit::ROWS_PER_INSERT) {
            let mut q = sqlx::QueryBuilder::new("DELETE FROM \"Elsa_WorkItems\" WHERE id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.clone());
            }
            q.push(")");
            q.build().execute(&mut *$tx).await?;
        }
    };
}
pub(crate) use delete_work;

/// What a claim leased, earliest due first.
#[derive(Debug, Clone, Default)]
pub struct Claimed {
    pub items: Vec<WorkItem>,
    /// How many of them another lease held until it ran out: their node died, stopped
    /// renewing, or lost the database.
    pub expired_leases: usize,
}

/// The queue's rows by what they wait for ([`WorkStore::depth`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Pending, due and leased by nobody: waiting for a worker.
    pub due: i64,
    /// Being worked on: a node holds their lease.
    pub leased: i64,
    /// Pending and due later: timers, scheduled starts, retries after a back-off.
    pub scheduled: i64,
    /// Out of attempts, kept for inspection.
    pub dead_lettered: i64,
    /// When the longest-waiting due row fell due (none when nothing is due).
    pub oldest_due_at: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct WorkStore {
    db: Database,
}

impl WorkStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Queues rows outside an instance commit (ids already queued are left alone).
    pub async fn insert(&self, items: &[NewWork], now: Timestamp) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        with_pool!(&self.db, write, |p| {
            let mut tx = p.begin().await?;
            insert_work!(tx, &self.db, items, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Leases up to `limit` pending rows that are due at `now` and not leased by anyone (or
    /// whose lease ran out), earliest first, and counts the attempt.
    pub async fn claim(&self, now: Timestamp, lease: &Lease, limit: i64) -> Result<Claimed> {
        // `status = 'Pending'` is written out so that the partial index applies. A row with a
        // lease that ran out still has its `locked_until`: finished attempts clear it.
        let skip_locked = match &self.db {
            Database::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Database::Sqlite { .. } => "",
        };
        let select = format!(
            "SELECT id, locked_until IS NOT NULL FROM \"Elsa_WorkItems\" WHERE status = 'Pending' AND due_at <= $1 \
             AND (locked_until IS NULL OR locked_until <= $1) ORDER BY due_at LIMIT $2{skip_locked}"
        );
        let (rows, expired_leases): (Vec<Row>, usize) = with_pool!(&self.db, write, |p| {
            let mut tx = p.begin().await?;
            let picked: Vec<(String, bool)> = sqlx::query_as(AssertSqlSafe(select))
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            let expired = picked.iter().filter(|(_, leased)| *leased).count();
            let mut rows = Vec::new();
            if !picked.is_empty() {
                let mut q = sqlx::QueryBuilder::new("UPDATE \"Elsa_WorkItems\" SET locked_by = ");
                q.push_bind(lease.owner.clone())
                    .push(", locked_until = ")
                    .push_bind(lease.until)
                    .push(", attempts = attempts + 1 WHERE id IN (");
                let mut list = q.separated(", ");
                for (id, _) in &picked {
                    list.push_bind(id.clone());
                }
                q.push(format!(") RETURNING {COLUMNS}"));
                rows = q.build_query_as().fetch_all(&mut *tx).await?;
            }
            tx.commit().await?;
            (rows, expired)
        });
        let mut items = rows.into_iter().map(from_row).collect::<Result<Vec<_>>>()?;
        items.sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.id.cmp(&b.id)));
        Ok(Claimed {
            items,
            expired_leases,
        })
    }

    /// When the earliest pending row that is not leased falls due.
    pub async fn next_due(&self, now: Timestamp) -> Result<Option<Timestamp>> {
        Ok(with_pool!(&self.db, read, |p| {
            sqlx::query_scalar(
                "SELECT due_at FROM \"Elsa_WorkItems\" WHERE status = 'Pending' \
                 AND (locked_until IS NULL OR locked_until <= $1) ORDER BY due_at LIMIT 1",
            )
            .bind(now)
            .fetch_optional(p)
            .await?
        }))
    }

    /// How many rows the queue holds, by what each waits for, and since when the longest-waiting
    /// due row has been due. One scan of the table: called once per heartbeat, not per request.
    pub async fn depth(&self, now: Timestamp) -> Result<QueueDepth> {
        let counts: Vec<(String, i64)> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(
                "SELECT CASE WHEN status <> 'Pending' THEN 'DeadLettered' \
                 WHEN locked_until > $1 THEN 'Leased' \
                 WHEN due_at <= $1 THEN 'Due' ELSE 'Scheduled' END, COUNT(*) \
                 FROM \"Elsa_WorkItems\" GROUP BY 1",
            )
            .bind(now)
            .fetch_all(p)
            .await?
        });
        let mut depth = QueueDepth::default();
        for (state, count) in counts {
            match state.as_str() {
                "Due" => depth.due = count,
                "Leased" => depth.leased = count,
                "Scheduled" => depth.scheduled = count,
                _ => depth.dead_lettered = count,
            }
        }
        if depth.due > 0 {
            depth.oldest_due_at = self.next_due(now).await?.filter(|due| *due <= now);
        }
        Ok(depth)
    }

    /// Extends the lease of rows `owner` holds.
    pub async fn renew(&self, ids: &[String], lease: &Lease) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        with_pool!(&self.db, write, |p| {
            let mut q = sqlx::QueryBuilder::new("UPDATE \"Elsa_WorkItems\" SET locked_until = ");
            q.push_bind(lease.until)
                .push(" WHERE locked_by = ")
                .push_bind(lease.owner.clone())
                .push(" AND id IN (");
            let mut list = q.separated(", ");
            for id in ids {
                list.push_bind(id.clone());
            }
            q.push(")");
            q.build().execute(p).await?;
        });
        Ok(())
    }

    /// Gives a failed attempt back: the row is due again at `retry_at`, unleased, with the
    /// error. False when `fence.owner` no longer holds it.
    pub async fn retry_later(
        &self,
        fence: &Fence,
        retry_at: Timestamp,
        error: &str,
    ) -> Result<bool> {
        Ok(with_pool!(&self.db, write, |p| {
            sqlx::query(
                "UPDATE \"Elsa_WorkItems\" SET due_at = $1, last_error = $2, locked_by = NULL, locked_until = NULL \
                 WHERE id = $3 AND locked_by = $4",
            )
            .bind(retry_at)
            .bind(error)
            .bind(&fence.work_id)
            .bind(&fence.owner)
            .execute(p)
            .await?
            .rows_affected()
                > 0
        }))
    }

    /// Ends a row's attempts: it stays, dead-lettered, with the last error. False when
    /// `fence.owner` no longer holds it.
    pub async fn dead_letter(&self, fence: &Fence, error: &str) -> Result<bool> {
        Ok(with_pool!(&self.db, write, |p| {
            sqlx::query(
                "UPDATE \"Elsa_WorkItems\" SET status = $1, last_error = $2, locked_by = NULL, locked_until = NULL \
                 WHERE id = $3 AND locked_by = $4",
            )
            .bind(WorkStatus::DeadLettered.as_str())
            .bind(error)
            .bind(&fence.work_id)
            .bind(&fence.owner)
            .execute(p)
            .await?
            .rows_affected()
                > 0
        }))
    }

    /// Lets go of every lease `owner` holds (a node's own leases, when it starts again).
    pub async fn release(&self, owner: &str) -> Result<u64> {
        Ok(with_pool!(&self.db, write, |p| {
            sqlx::query(
                "UPDATE \"Elsa_WorkItems\" SET locked_by = NULL, locked_until = NULL WHERE locked_by = $1",
            )
            .bind(owner)
            .execute(p)
            .await?
            .rows_affected()
        }))
    }

    /// Removes a row whose work needed no instance commit; false when it was gone already or
    /// `fence.owner` no longer holds it.
    pub async fn complete(&self, fence: &Fence) -> Result<bool> {
        Ok(with_pool!(&self.db, write, |p| {
            sqlx::query("DELETE FROM \"Elsa_WorkItems\" WHERE id = $1 AND locked_by = $2")
                .bind(&fence.work_id)
                .bind(&fence.owner)
                .execute(p)
                .await?
                .rows_affected()
                > 0
        }))
    }

    /// Replaces a row by others in one transaction (work that fans out, such as an event
    /// delivered to every instance waiting for it): all of them, or none — none when the row
    /// is gone or `fence.owner` no longer holds it.
    pub async fn replace(&self, fence: &Fence, items: &[NewWork], now: Timestamp) -> Result<bool> {
        Ok(with_pool!(&self.db, write, |p| {
            let mut tx = p.begin().await?;
            let gone =
                sqlx::query("DELETE FROM \"Elsa_WorkItems\" WHERE id = $1 AND locked_by = $2")
                    .bind(&fence.work_id)
                    .bind(&fence.owner)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if gone > 0 {
                insert_work!(tx, &self.db, items, now);
            }
            tx.commit().await?;
            gone > 0
        }))
    }

    pub async fn get(&self, id: &str) -> Result<Option<WorkItem>> {
        let sql = format!("SELECT {COLUMNS} FROM \"Elsa_WorkItems\" WHERE id = $1");
        let row: Option<Row> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        row.map(from_row).transpose()
    }

    /// A page of rows, earliest due first.
    pub async fn list(&self, filter: &WorkFilter) -> Result<Page<WorkItem>> {
        let mut c = Conditions::default();
        if let Some(status) = filter.status {
            c.push("status = ?", [Arg::Text(status.as_str().into())]);
        }
        if let Some(kind) = &filter.kind {
            c.push("kind = ?", [Arg::Text(kind.clone())]);
        }
        if let Some(id) = &filter.workflow_instance_id {
            c.push("workflow_instance_id = ?", [Arg::Text(id.clone())]);
        }
        let (rows, total): (Vec<Row>, i64) = ListQuery {
            table: "Elsa_WorkItems",
            columns: COLUMNS,
            conditions: c,
            order_by: "due_at",
            descending: false,
            page: filter.page,
        }
        .fetch(&self.db)
        .await?;
        Ok(Page {
            items: rows.into_iter().map(from_row).collect::<Result<_>>()?,
            total_count: total,
        })
    }
}
