//! Workflow instances and everything written with them (module Runtime): bookmarks, the
//! journal and activity execution records.
//!
//! Writes go through [`crate::commit`]; this module reads, lists and deletes.

use crate::commit::{Batcher, Encoded, InstanceChange, InstanceCommit};
use crate::encoding::decode;
use crate::query::{Arg, Conditions, ListQuery, Page, PageRequest, bind_args, contains_pattern};
use crate::{Database, Result, StoreError, with_pool};
use std::sync::{Arc, OnceLock};

use elsa_model::{
    Bookmark, WorkflowInstance, WorkflowInstanceSummary, WorkflowStatus, WorkflowSubStatus,
};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

/// Filters of the instance list (`POST /workflow-instances`).
#[derive(Debug, Clone, Default)]
pub struct InstanceFilter {
    pub search_term: Option<String>,
    pub definition_ids: Option<Vec<String>>,
    pub correlation_id: Option<String>,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub statuses: Option<Vec<WorkflowStatus>>,
    pub sub_statuses: Option<Vec<WorkflowSubStatus>>,
    pub has_incidents: Option<bool>,
    pub is_system: Option<bool>,
    /// All must hold (Elsa's `timestampFilters`).
    pub timestamps: Vec<TimestampFilter>,
    pub order_by: InstanceOrder,
    pub descending: bool,
    pub page: Option<PageRequest>,
}

/// One condition on an instance timestamp column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampFilter {
    pub column: TimestampColumn,
    pub operator: TimestampOperator,
    pub timestamp: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampColumn {
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

/// Elsa's `TimestampFilterOperator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampOperator {
    Is,
    IsNot,
    LessThan,
    GreaterThan,
    LessThanOrEqual,
    GreaterThanOrEqual,
}

/// A bookmark as stored, with the columns lookups need besides the bookmark itself.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBookmark {
    pub workflow_instance_id: String,
    pub correlation_id: Option<String>,
    pub bookmark: Bookmark,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InstanceOrder {
    #[default]
    Created,
    UpdatedAt,
    Finished,
    Name,
}

#[derive(Clone, Debug)]
pub struct InstanceStore {
    pub(crate) db: Database,
    /// Started on the first commit, which always runs inside the async runtime.
    batcher: Arc<OnceLock<Batcher>>,
}

/// The tables whose rows belong to an instance (by `workflow_instance_id`) and go with it.
const INSTANCE_TABLES: [&str; 5] = [
    "Elsa_Bookmarks",
    "Elsa_WorkflowExecutionLogRecords",
    "Elsa_ActivityExecutionRecords",
    "Elsa_ActivityExecutionRecordIds",
    "Elsa_WorkItems",
];

const SUMMARY_COLUMNS: &str = "id, definition_id, definition_version_id, definition_version, status, sub_status, correlation_id, name, incident_count, created_at, updated_at, finished_at";

/// The summary columns, then `is_system`, the version and the stored workflow state.
type InstanceRow = (
    String,
    String,
    String,
    i32,
    String,
    String,
    Option<String>,
    Option<String>,
    i32,
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Utc>,
    Option<chrono::DateTime<chrono::Utc>>,
    bool,
    i64,
    Vec<u8>,
);

type SummaryRow = (
    String,
    String,
    String,
    i32,
    String,
    String,
    Option<String>,
    Option<String>,
    i32,
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Utc>,
    Option<chrono::DateTime<chrono::Utc>>,
);

impl InstanceStore {
    pub fn new(db: Database) -> Self {
        Self {
            db,
            batcher: Arc::new(OnceLock::new()),
        }
    }

    /// Writes one change atomically; returns the instance's new version. Concurrent commits
    /// are written together (see [`crate::commit`]), each still all-or-nothing.
    pub async fn commit(&self, change: impl Into<InstanceChange>) -> Result<i64> {
        self.batcher
            .get_or_init(|| Batcher::start(self.db.clone()))
            .submit(change.into())
            .await
    }

    /// Writes several changes in one transaction: all of them, or none (a bulk dispatch's
    /// new instances). Unlike [`InstanceStore::commit`], one failing change fails them all.
    pub async fn commit_all(&self, commits: &[InstanceCommit<'_>]) -> Result<()> {
        let encoded = commits
            .iter()
            .map(Encoded::of)
            .collect::<Result<Vec<_>>>()?;
        let prepared: Vec<_> = commits.iter().copied().zip(&encoded).collect();
        crate::commit::write(&self.db, &prepared).await
    }

    /// An instance with its current version.
    pub async fn get(&self, id: &str) -> Result<Option<(WorkflowInstance, i64)>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, is_system, version, data \
             FROM \"Elsa_WorkflowInstances\" WHERE id = $1"
        );
        let row: Option<InstanceRow> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        row.map(instance).transpose()
    }

    pub async fn list(&self, filter: &InstanceFilter) -> Result<Page<WorkflowInstanceSummary>> {
        let (rows, total): (Vec<SummaryRow>, i64) = ListQuery {
            table: "Elsa_WorkflowInstances",
            columns: SUMMARY_COLUMNS,
            conditions: conditions(filter),
            order_by: match filter.order_by {
                InstanceOrder::Created => "created_at",
                InstanceOrder::UpdatedAt => "updated_at",
                InstanceOrder::Finished => "finished_at",
                InstanceOrder::Name => "name",
            },
            descending: filter.descending,
            page: filter.page,
        }
        .fetch(&self.db)
        .await?;
        let items = rows.into_iter().map(summary).collect::<Result<_>>()?;
        Ok(Page {
            items,
            total_count: total,
        })
    }

    /// The instance's current bookmarks.
    pub async fn bookmarks(&self, instance_id: &str) -> Result<Vec<Bookmark>> {
        let rows: Vec<(Json<Bookmark>,)> = with_pool!(&self.db, read, |p| {
            sqlx::query_as("SELECT data FROM \"Elsa_Bookmarks\" WHERE workflow_instance_id = $1 ORDER BY created_at, id")
                .bind(instance_id)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(|(Json(b),)| b).collect())
    }

    /// Deletes every instance of a definition with their bookmarks, journal, records and work;
    /// returns how many instances went.
    pub async fn delete_by_definition(&self, definition_id: &str) -> Result<u64> {
        let deleted = with_pool!(&self.db, write, |p| {
            let mut tx = p.begin().await?;
            for table in INSTANCE_TABLES {
                let sql = format!(
                    "DELETE FROM \"{table}\" WHERE workflow_instance_id IN \
                     (SELECT id FROM \"Elsa_WorkflowInstances\" WHERE definition_id = $1)"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(definition_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let n = sqlx::query("DELETE FROM \"Elsa_WorkflowInstances\" WHERE definition_id = $1")
                .bind(definition_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            n
        });
        Ok(deleted)
    }

    /// Deletes an instance with its bookmarks, journal, records and work; false if it did not exist.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        Ok(self.delete_many(&[id.to_owned()]).await? > 0)
    }

    /// Deletes instances with their bookmarks, journal, records and work in one transaction;
    /// returns how many instances existed.
    pub async fn delete_many(&self, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let deleted = with_pool!(&self.db, write, |p| {
            let mut tx = p.begin().await?;
            let mut n = 0;
            for id in ids {
                for table in INSTANCE_TABLES {
                    let sql = format!("DELETE FROM \"{table}\" WHERE workflow_instance_id = $1");
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                n += sqlx::query("DELETE FROM \"Elsa_WorkflowInstances\" WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            n
        });
        Ok(deleted)
    }

    /// The ids of every instance matching `filter` (paging and order ignored).
    pub async fn ids(&self, filter: &InstanceFilter) -> Result<Vec<String>> {
        let c = conditions(filter);
        let sql = format!(
            "SELECT id FROM \"Elsa_WorkflowInstances\"{} ORDER BY created_at, id",
            c.where_sql()
        );
        let rows: Vec<(String,)> = with_pool!(&self.db, read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), &c.args)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Every stored bookmark with stimulus `name`, oldest first.
    pub async fn bookmarks_named(&self, name: &str) -> Result<Vec<StoredBookmark>> {
        let rows: Vec<(String, Option<String>, Json<Bookmark>)> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(
                "SELECT workflow_instance_id, correlation_id, data FROM \"Elsa_Bookmarks\" \
                     WHERE name = $1 ORDER BY created_at, id",
            )
            .bind(name)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(stored_bookmark).collect())
    }

    /// The stored bookmarks a stimulus matches (by name and hash), narrowed to one instance
    /// or one correlation id when given, oldest first.
    pub async fn bookmarks_matching(
        &self,
        name: &str,
        hash: &str,
        instance_id: Option<&str>,
        correlation_id: Option<&str>,
    ) -> Result<Vec<StoredBookmark>> {
        let mut c = Conditions::default();
        c.push("name = ?", [Arg::Text(name.to_owned())]);
        c.push("hash = ?", [Arg::Text(hash.to_owned())]);
        if let Some(id) = instance_id {
            c.push("workflow_instance_id = ?", [Arg::Text(id.to_owned())]);
        }
        if let Some(id) = correlation_id {
            c.push("correlation_id = ?", [Arg::Text(id.to_owned())]);
        }
        let sql = format!(
            "SELECT workflow_instance_id, correlation_id, data FROM \"Elsa_Bookmarks\"{} ORDER BY created_at, id",
            c.where_sql()
        );
        let rows: Vec<(String, Option<String>, Json<Bookmark>)> = with_pool!(&self.db, read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), &c.args)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(stored_bookmark).collect())
    }

    /// Ids of instances that finished before `cutoff`, oldest first, at most `limit`.
    pub async fn finished_before(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
        limit: i64,
    ) -> Result<Vec<String>> {
        Ok(with_pool!(&self.db, read, |p| {
            sqlx::query_scalar(
                "SELECT id FROM \"Elsa_WorkflowInstances\" WHERE finished_at IS NOT NULL AND finished_at < $1 \
                 ORDER BY finished_at LIMIT $2",
            )
            .bind(cutoff)
            .bind(limit)
            .fetch_all(p)
            .await?
        }))
    }

    /// How many instances are running (suspended ones included): started and not yet
    /// finished, cancelled or faulted.
    pub async fn count_running(&self) -> Result<i64> {
        Ok(with_pool!(&self.db, read, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM \"Elsa_WorkflowInstances\" WHERE status = 'Running'",
            )
            .fetch_one(p)
            .await?
        }))
    }

    /// How many instances a definition has.
    pub async fn count_of_definition(&self, definition_id: &str) -> Result<i64> {
        Ok(with_pool!(&self.db, read, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM \"Elsa_WorkflowInstances\" WHERE definition_id = $1",
            )
            .bind(definition_id)
            .fetch_one(p)
            .await?
        }))
    }

    /// One stored bookmark by id.
    pub async fn bookmark(&self, id: &str) -> Result<Option<StoredBookmark>> {
        let row: Option<(String, Option<String>, Json<Bookmark>)> = with_pool!(
            &self.db,
            read,
            |p| {
                sqlx::query_as(
                    "SELECT workflow_instance_id, correlation_id, data FROM \"Elsa_Bookmarks\" WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(p)
                .await?
            }
        );
        Ok(row.map(stored_bookmark))
    }
}

fn stored_bookmark(
    (workflow_instance_id, correlation_id, Json(bookmark)): (
        String,
        Option<String>,
        Json<Bookmark>,
    ),
) -> StoredBookmark {
    StoredBookmark {
        workflow_instance_id,
        correlation_id,
        bookmark,
    }
}

/// The instance and its version from its row: the summary fields from the columns, the
/// workflow state from `data`, and what only the state holds (the parent, whether it is
/// executing) from the state, as [`WorkflowInstance::from_state`] derived them when written.
fn instance(r: InstanceRow) -> Result<(WorkflowInstance, i64)> {
    let (is_system, version, data) = (r.12, r.13, r.14);
    let s = summary((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11))?;
    let workflow_state: elsa_model::WorkflowState = decode(&data)?;
    let instance = WorkflowInstance {
        id: s.id,
        definition_id: s.definition_id,
        definition_version_id: s.definition_version_id,
        version: s.version,
        parent_workflow_instance_id: workflow_state.parent_workflow_instance_id.clone(),
        status: s.status,
        sub_status: s.sub_status,
        is_executing: workflow_state.is_executing,
        correlation_id: s.correlation_id,
        name: s.name,
        incident_count: s.incident_count,
        is_system,
        created_at: s.created_at,
        updated_at: s.updated_at,
        finished_at: s.finished_at,
        workflow_state,
    };
    Ok((instance, version))
}

fn summary(r: SummaryRow) -> Result<WorkflowInstanceSummary> {
    let corrupt = |e: String| StoreError::Corrupt(serde::de::Error::custom(e));
    Ok(WorkflowInstanceSummary {
        id: r.0,
        definition_id: r.1,
        definition_version_id: r.2,
        version: r.3,
        status: r.4.parse().map_err(corrupt)?,
        sub_status: r.5.parse().map_err(corrupt)?,
        correlation_id: r.6,
        name: r.7,
        incident_count: r.8,
        created_at: r.9,
        updated_at: r.10,
        finished_at: r.11,
    })
}

fn conditions(f: &InstanceFilter) -> Conditions {
    let mut c = Conditions::default();
    if let Some(ids) = &f.definition_ids {
        c.push_in("definition_id", ids);
    }
    if let Some(id) = &f.correlation_id {
        c.push("correlation_id = ?", [Arg::Text(id.clone())]);
    }
    if let Some(name) = &f.name {
        c.push("name = ?", [Arg::Text(name.clone())]);
    }
    if let Some(v) = f.version {
        c.push("definition_version = ?", [Arg::Int(v.into())]);
    }
    if let Some(statuses) = &f.statuses {
        let names: Vec<String> = statuses.iter().map(|s| s.as_str().to_string()).collect();
        c.push_in("status", &names);
    }
    if let Some(subs) = &f.sub_statuses {
        let names: Vec<String> = subs.iter().map(|s| s.as_str().to_string()).collect();
        c.push_in("sub_status", &names);
    }
    match f.has_incidents {
        Some(true) => c.push("incident_count > ?", [Arg::Int(0)]),
        Some(false) => c.push("incident_count = ?", [Arg::Int(0)]),
        None => {}
    }
    if let Some(system) = f.is_system {
        c.push("is_system = ?", [Arg::Bool(system)]);
    }
    for t in &f.timestamps {
        let column = match t.column {
            TimestampColumn::CreatedAt => "created_at",
            TimestampColumn::UpdatedAt => "updated_at",
            TimestampColumn::FinishedAt => "finished_at",
        };
        let op = match t.operator {
            TimestampOperator::Is => "=",
            TimestampOperator::IsNot => "<>",
            TimestampOperator::LessThan => "<",
            TimestampOperator::GreaterThan => ">",
            TimestampOperator::LessThanOrEqual => "<=",
            TimestampOperator::GreaterThanOrEqual => ">=",
        };
        c.push(&format!("{column} {op} ?"), [Arg::Time(t.timestamp)]);
    }
    if let Some(term) = f
        .search_term
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = contains_pattern(term);
        c.push(
            "(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(id) LIKE ? ESCAPE '\\' OR LOWER(definition_id) LIKE ? ESCAPE '\\' \
             OR LOWER(definition_version_id) LIKE ? ESCAPE '\\' OR LOWER(correlation_id) LIKE ? ESCAPE '\\')",
            std::iter::repeat_n(Arg::Text(pattern), 5),
        );
    }
    c
}
