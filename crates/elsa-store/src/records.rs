//! Reading what runs leave behind besides the instance: the journal
//! (`Elsa_WorkflowExecutionLogRecords`) and activity execution records
//! (`Elsa_ActivityExecutionRecords`). Both are written by [`crate::commit`].

use crate::instances::InstanceStore;
use crate::query::{Arg, Conditions, Page, bind_args};
use crate::{Result, with_pool};
use elsa_model::{ActivityExecutionRecord, WorkflowExecutionLogRecord};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

/// Which journal records to return (Elsa's `JournalFilter`); empty lists filter nothing.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    pub activity_ids: Vec<String>,
    pub activity_node_ids: Vec<String>,
    pub excluded_activity_types: Vec<String>,
    pub event_names: Vec<String>,
}

/// Which activity execution records to return (Elsa's `ActivityExecutionRecordFilter`).
#[derive(Debug, Clone, Default)]
pub struct ActivityRecordFilter {
    pub workflow_instance_id: Option<String>,
    pub activity_id: Option<String>,
    /// `None` = any node; `Some(empty)` = none.
    pub activity_node_ids: Option<Vec<String>>,
    /// `Some(true)`: only records with a completion time; `Some(false)`: only those without.
    pub completed: Option<bool>,
}

impl ActivityRecordFilter {
    fn conditions(&self) -> Conditions {
        let mut c = Conditions::default();
        if let Some(id) = &self.workflow_instance_id {
            c.push("workflow_instance_id = ?", [Arg::Text(id.clone())]);
        }
        if let Some(id) = &self.activity_id {
            c.push("activity_id = ?", [Arg::Text(id.clone())]);
        }
        if let Some(nodes) = &self.activity_node_ids {
            c.push_in("activity_node_id", nodes);
        }
        match self.completed {
            Some(true) => c.push("completed_at IS NOT NULL", []),
            Some(false) => c.push("completed_at IS NULL", []),
            None => {}
        }
        c
    }
}

impl InstanceStore {
    /// A slice of the instance's journal in sequence order, and its total length.
    pub async fn journal(
        &self,
        instance_id: &str,
        skip: i64,
        take: i64,
    ) -> Result<Page<WorkflowExecutionLogRecord>> {
        self.journal_filtered(instance_id, &JournalFilter::default(), skip, take)
            .await
    }

    /// A slice of the instance's journal records matching `filter`, in sequence order, and
    /// how many match in all.
    pub async fn journal_filtered(
        &self,
        instance_id: &str,
        filter: &JournalFilter,
        skip: i64,
        take: i64,
    ) -> Result<Page<WorkflowExecutionLogRecord>> {
        let mut c = Conditions::default();
        c.push(
            "workflow_instance_id = ?",
            [Arg::Text(instance_id.to_owned())],
        );
        if !filter.activity_ids.is_empty() {
            c.push_in("activity_id", &filter.activity_ids);
        }
        if !filter.activity_node_ids.is_empty() {
            c.push_in("activity_node_id", &filter.activity_node_ids);
        }
        c.push_not_in("activity_type", &filter.excluded_activity_types);
        if !filter.event_names.is_empty() {
            c.push_in("event_name", &filter.event_names);
        }
        let where_sql = c.where_sql();
        let list_sql = format!(
            "SELECT data FROM \"Elsa_WorkflowExecutionLogRecords\"{where_sql} ORDER BY sequence LIMIT {} OFFSET {}",
            take.max(0),
            skip.max(0)
        );
        let count_sql =
            format!("SELECT COUNT(*) FROM \"Elsa_WorkflowExecutionLogRecords\"{where_sql}");
        let (rows, total): (Vec<(Json<WorkflowExecutionLogRecord>,)>, i64) =
            with_pool!(&self.db, read, |p| {
                let rows = bind_args!(sqlx::query_as(AssertSqlSafe(list_sql)), &c.args)
                    .fetch_all(p)
                    .await?;
                let total = bind_args!(sqlx::query_scalar(AssertSqlSafe(count_sql)), &c.args)
                    .fetch_one(p)
                    .await?;
                (rows, total)
            });
        Ok(Page {
            items: rows.into_iter().map(|(Json(r),)| r).collect(),
            total_count: total,
        })
    }

    /// The instance's last journal record of one activity (by activity id).
    pub async fn last_journal_record(
        &self,
        instance_id: &str,
        activity_id: &str,
    ) -> Result<Option<WorkflowExecutionLogRecord>> {
        let row: Option<(Json<WorkflowExecutionLogRecord>,)> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(
                "SELECT data FROM \"Elsa_WorkflowExecutionLogRecords\" \
                 WHERE workflow_instance_id = $1 AND activity_id = $2 ORDER BY sequence DESC LIMIT 1",
            )
            .bind(instance_id)
            .bind(activity_id)
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(|(Json(r),)| r))
    }

    /// The instance's activity execution records, in the order they started.
    pub async fn activity_records(
        &self,
        instance_id: &str,
    ) -> Result<Vec<ActivityExecutionRecord>> {
        self.find_activity_records(&ActivityRecordFilter {
            workflow_instance_id: Some(instance_id.to_owned()),
            ..Default::default()
        })
        .await
    }

    /// Activity execution records matching `filter`, in the order they started.
    pub async fn find_activity_records(
        &self,
        filter: &ActivityRecordFilter,
    ) -> Result<Vec<ActivityExecutionRecord>> {
        let c = filter.conditions();
        let sql = format!(
            "SELECT data FROM \"Elsa_ActivityExecutionRecords\"{} ORDER BY started_at, id",
            c.where_sql()
        );
        let rows: Vec<(Json<ActivityExecutionRecord>,)> = with_pool!(&self.db, read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), &c.args)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(|(Json(r),)| r).collect())
    }

    /// How many activity execution records match `filter`.
    pub async fn count_activity_records(&self, filter: &ActivityRecordFilter) -> Result<i64> {
        let c = filter.conditions();
        let sql = format!(
            "SELECT COUNT(*) FROM \"Elsa_ActivityExecutionRecords\"{}",
            c.where_sql()
        );
        Ok(with_pool!(&self.db, read, |p| {
            bind_args!(sqlx::query_scalar(AssertSqlSafe(sql)), &c.args)
                .fetch_one(p)
                .await?
        }))
    }

    /// One activity execution record by id.
    pub async fn activity_record(&self, id: &str) -> Result<Option<ActivityExecutionRecord>> {
        let row: Option<(Json<ActivityExecutionRecord>,)> = with_pool!(&self.db, read, |p| {
            sqlx::query_as("SELECT data FROM \"Elsa_ActivityExecutionRecords\" WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(|(Json(r),)| r))
    }
}
