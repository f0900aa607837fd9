//! Reading what runs leave behind besides the instance: the journal
//! (`Elsa_WorkflowExecutionLogRecords`) and activity execution records
//! (`Elsa_ActivityExecutionRecords`). Both are written by [`crate::commit`], one row (a
//! *segment*) per commit and table: a run appends its journal as one segment keyed by the
//! sequence of its first record, and the records it created or changed as one segment keyed
//! by the instance version it wrote. A record changed by a later commit appears again in that
//! commit's segment, and the latest copy is the record.
//!
//! Queries read an instance's segments and filter in memory; queries not narrowed to one
//! instance walk the instances in batches. A record is found by its id alone through the id
//! itself — the server makes record ids as the instance id followed by 16 hex digits — or,
//! for ids of another shape (converted from the row-per-record layout, or imported), through
//! `Elsa_ActivityExecutionRecordIds`.

use crate::encoding::decode;
use crate::instances::InstanceStore;
use crate::query::Page;
use crate::{Result, with_pool};
use elsa_model::{ActivityExecutionRecord, WorkflowExecutionLogRecord};
use std::collections::HashMap;

/// Which journal records to return (Elsa's `JournalFilter`); empty lists filter nothing.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    pub activity_ids: Vec<String>,
    pub activity_node_ids: Vec<String>,
    pub excluded_activity_types: Vec<String>,
    pub event_names: Vec<String>,
}

impl JournalFilter {
    fn is_empty(&self) -> bool {
        self.activity_ids.is_empty()
            && self.activity_node_ids.is_empty()
            && self.excluded_activity_types.is_empty()
            && self.event_names.is_empty()
    }

    fn matches(&self, r: &WorkflowExecutionLogRecord) -> bool {
        let listed = |list: &[String], value: &str| list.iter().any(|v| v == value);
        (self.activity_ids.is_empty() || listed(&self.activity_ids, &r.activity_id))
            && (self.activity_node_ids.is_empty()
                || listed(&self.activity_node_ids, &r.activity_node_id))
            && !listed(&self.excluded_activity_types, &r.activity_type)
            && (self.event_names.is_empty()
                || r.event_name
                    .as_deref()
                    .is_some_and(|e| listed(&self.event_names, e)))
    }
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
    fn matches(&self, r: &ActivityExecutionRecord) -> bool {
        self.activity_id
            .as_deref()
            .is_none_or(|id| id == &*r.activity_id)
            && self
                .activity_node_ids
                .as_ref()
                .is_none_or(|nodes| nodes.iter().any(|n| n == &*r.activity_node_id))
            && self
                .completed
                .is_none_or(|completed| completed == r.completed_at.is_some())
    }
}

/// Whether a record id has the shape the server gives them: its instance's id, then 16 hex
/// digits. Such a record needs no entry in `Elsa_ActivityExecutionRecordIds`.
pub(crate) fn id_names_instance(id: &str, instance_id: &str) -> bool {
    id.len() == instance_id.len() + 16
        && id.starts_with(instance_id)
        && id[instance_id.len()..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
}

/// Instances per batch when a query walks every instance's records.
const INSTANCES_PER_BATCH: i64 = 256;

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
        let (skip, take) = (skip.max(0), take.max(0));
        if filter.is_empty() {
            return self.journal_slice(instance_id, skip, take).await;
        }
        let matching: Vec<WorkflowExecutionLogRecord> = self
            .journal_segments(instance_id, 0, i64::MAX)
            .await?
            .into_iter()
            .flat_map(|(_, records)| records)
            .filter(|r| filter.matches(r))
            .collect();
        Ok(page_of(matching, skip, take))
    }

    /// An unfiltered slice: only the segments that hold part of it are read and decoded (each
    /// segment's position is the sum of the record counts before it).
    async fn journal_slice(
        &self,
        instance_id: &str,
        skip: i64,
        take: i64,
    ) -> Result<Page<WorkflowExecutionLogRecord>> {
        let total: Option<i64> = with_pool!(&self.db, read, |p| {
            sqlx::query_scalar(
                "SELECT CAST(SUM(record_count) AS BIGINT) FROM \"Elsa_WorkflowExecutionLogRecords\" \
                 WHERE workflow_instance_id = $1",
            )
            .bind(instance_id)
            .fetch_one(p)
            .await?
        });
        let total = total.unwrap_or(0);
        let end = skip.saturating_add(take).min(total);
        if skip >= end {
            return Ok(Page {
                items: Vec::new(),
                total_count: total,
            });
        }
        let segments = self.journal_segments(instance_id, skip, end).await?;
        let mut items = Vec::with_capacity((end - skip) as usize);
        for (position, records) in segments {
            let from = (skip - position).max(0) as usize;
            let to = (end - position).min(records.len() as i64).max(0) as usize;
            items.extend(records.into_iter().take(to).skip(from));
        }
        Ok(Page {
            items,
            total_count: total,
        })
    }

    /// The decoded segments holding the records at positions `from..to` of the instance's
    /// journal (in sequence order), each with the position of its first record.
    async fn journal_segments(
        &self,
        instance_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, Vec<WorkflowExecutionLogRecord>)>> {
        let rows: Vec<(i64, Vec<u8>)> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(
                "SELECT position, data FROM (SELECT data, record_count, \
                 CAST(SUM(record_count) OVER (ORDER BY first_sequence) - record_count AS BIGINT) AS position \
                 FROM \"Elsa_WorkflowExecutionLogRecords\" WHERE workflow_instance_id = $1) AS s \
                 WHERE position < $3 AND position + record_count > $2 ORDER BY position",
            )
            .bind(instance_id)
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|(position, data)| Ok((position, decode(&data)?)))
            .collect()
    }

    /// The instance's last journal record of one activity (by activity id).
    pub async fn last_journal_record(
        &self,
        instance_id: &str,
        activity_id: &str,
    ) -> Result<Option<WorkflowExecutionLogRecord>> {
        let segments: Vec<(Vec<u8>,)> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(
                "SELECT data FROM \"Elsa_WorkflowExecutionLogRecords\" \
                 WHERE workflow_instance_id = $1 ORDER BY first_sequence DESC",
            )
            .bind(instance_id)
            .fetch_all(p)
            .await?
        });
        for (data,) in segments {
            let records: Vec<WorkflowExecutionLogRecord> = decode(&data)?;
            if let Some(last) = records
                .into_iter()
                .rev()
                .find(|r| &*r.activity_id == activity_id)
            {
                return Ok(Some(last));
            }
        }
        Ok(None)
    }

    /// The instance's activity execution records, in the order they started.
    pub async fn activity_records(
        &self,
        instance_id: &str,
    ) -> Result<Vec<ActivityExecutionRecord>> {
        let segments: Vec<(Vec<u8>,)> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(
                "SELECT data FROM \"Elsa_ActivityExecutionRecords\" \
                 WHERE workflow_instance_id = $1 ORDER BY version",
            )
            .bind(instance_id)
            .fetch_all(p)
            .await?
        });
        latest_records(segments.iter().map(|(data,)| data.as_slice()))
    }

    /// Activity execution records matching `filter`, in the order they started.
    pub async fn find_activity_records(
        &self,
        filter: &ActivityRecordFilter,
    ) -> Result<Vec<ActivityExecutionRecord>> {
        let mut found = Vec::new();
        self.each_instance_records(filter, |records| {
            found.extend(records.into_iter().filter(|r| filter.matches(r)));
        })
        .await?;
        if filter.workflow_instance_id.is_none() {
            sort_by_start(&mut found);
        }
        Ok(found)
    }

    /// How many activity execution records match `filter`.
    pub async fn count_activity_records(&self, filter: &ActivityRecordFilter) -> Result<i64> {
        let mut count = 0;
        self.each_instance_records(filter, |records| {
            count += records.iter().filter(|r| filter.matches(r)).count() as i64;
        })
        .await?;
        Ok(count)
    }

    /// Calls `visit` with the records of the instance the filter names, or of every instance
    /// in turn, a batch of instances at a time.
    async fn each_instance_records(
        &self,
        filter: &ActivityRecordFilter,
        mut visit: impl FnMut(Vec<ActivityExecutionRecord>),
    ) -> Result<()> {
        if let Some(id) = &filter.workflow_instance_id {
            visit(self.activity_records(id).await?);
            return Ok(());
        }
        let mut after = String::new();
        loop {
            let rows: Vec<(String, Vec<u8>)> = with_pool!(&self.db, read, |p| {
                sqlx::query_as(
                    "SELECT workflow_instance_id, data FROM \"Elsa_ActivityExecutionRecords\" \
                     WHERE workflow_instance_id IN (SELECT DISTINCT workflow_instance_id \
                     FROM \"Elsa_ActivityExecutionRecords\" WHERE workflow_instance_id > $1 \
                     ORDER BY workflow_instance_id LIMIT $2) ORDER BY workflow_instance_id, version",
                )
                .bind(&after)
                .bind(INSTANCES_PER_BATCH)
                .fetch_all(p)
                .await?
            });
            let Some((last, _)) = rows.last() else {
                return Ok(());
            };
            after = last.clone();
            for instance in rows.chunk_by(|a, b| a.0 == b.0) {
                visit(latest_records(instance.iter().map(|(_, d)| d.as_slice()))?);
            }
        }
    }

    /// One activity execution record by id.
    pub async fn activity_record(&self, id: &str) -> Result<Option<ActivityExecutionRecord>> {
        // The instance the id names, if it has the server's shape; else the one listed for it.
        let named = id
            .len()
            .checked_sub(16)
            .and_then(|at| id.get(..at))
            .filter(|instance| id_names_instance(id, instance));
        let instance = match named {
            Some(instance) => Some(instance.to_owned()),
            None => with_pool!(&self.db, read, |p| {
                sqlx::query_scalar(
                    "SELECT workflow_instance_id FROM \"Elsa_ActivityExecutionRecordIds\" WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(p)
                .await?
            }),
        };
        let Some(instance) = instance else {
            return Ok(None);
        };
        Ok(self
            .activity_records(&instance)
            .await?
            .into_iter()
            .find(|r| r.id == id))
    }
}

/// The records of one instance's segments (oldest first): the latest copy of each, in the
/// order they started.
fn latest_records<'a>(
    segments: impl Iterator<Item = &'a [u8]>,
) -> Result<Vec<ActivityExecutionRecord>> {
    let mut records: Vec<ActivityExecutionRecord> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for data in segments {
        for record in decode::<Vec<ActivityExecutionRecord>>(data)? {
            match at.get(&record.id) {
                Some(&i) => records[i] = record,
                None => {
                    at.insert(record.id.clone(), records.len());
                    records.push(record);
                }
            }
        }
    }
    sort_by_start(&mut records);
    Ok(records)
}

fn sort_by_start(records: &mut [ActivityExecutionRecord]) {
    records.sort_by(|a, b| (a.started_at, &a.id).cmp(&(b.started_at, &b.id)));
}

fn page_of<T>(items: Vec<T>, skip: i64, take: i64) -> Page<T> {
    let total_count = items.len() as i64;
    Page {
        items: items
            .into_iter()
            .skip(skip as usize)
            .take(take as usize)
            .collect(),
        total_count,
    }
}

#[cfg(test)]
mod tests {
    use super::id_names_instance;

    #[test]
    fn record_ids_name_their_instance_only_in_the_servers_shape() {
        assert!(id_names_instance("wf-10123456789abcdef", "wf-1"));
        assert!(!id_names_instance("wf-10123456789abcdeg", "wf-1"));
        assert!(!id_names_instance("0123456789abcdef", "wf-1"));
        assert!(!id_names_instance("wf-20123456789abcdef", "wf-1"));
    }
}
