//! Writing instance changes.
//!
//! Every change to an instance is one transaction guarded by the row's `version`: a writer
//! states the version it read, and loses with [`StoreError::Conflict`] if another writer got
//! there first. Bookmarks, journal and activity records of that change commit or roll back
//! with it.
//!
//! Commits that arrive together are written together: a writer task takes whatever is queued
//! and writes it in one transaction with one multi-row statement per table, so the cost of a
//! round trip to the database (and of SQLite's single writer) is shared. If such a group
//! fails, each commit in it is retried on its own, so one conflicting commit never takes the
//! others down and every caller gets its own answer.

use crate::encoding::encode;
use crate::work::{Fence, NewWork, delete_work, insert_work};
use crate::{Database, Result, StoreError, with_pool};
use elsa_model::{ActivityExecutionRecord, Bookmark, WorkflowExecutionLogRecord, WorkflowInstance};
use sqlx::QueryBuilder;
use sqlx::types::Json;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// One atomic change to an instance.
#[derive(Debug, Clone, Copy)]
pub struct InstanceCommit<'a> {
    pub instance: &'a WorkflowInstance,
    /// The version this writer read; `None` creates the instance.
    pub expected_version: Option<i64>,
    /// The instance's complete set of bookmarks after this change.
    pub bookmarks: &'a [Bookmark],
    /// Journal records appended by this change.
    pub journal: &'a [WorkflowExecutionLogRecord],
    /// Activity execution records created or updated by this change.
    pub activity_records: &'a [ActivityExecutionRecord],
    /// Work this change causes (queued with it, see [`crate::work`]).
    pub work: &'a [NewWork],
    /// Work this change made pointless (removed with it, if still there).
    pub done_work: &'a [String],
    /// The claimed work this change did: removed with it, and the change is refused
    /// ([`StoreError::LeaseLost`]) unless its lease is still this node's.
    pub fence: Option<&'a Fence>,
}

impl InstanceCommit<'_> {
    fn new_version(&self) -> i64 {
        self.expected_version.map_or(1, |v| v + 1)
    }
}

/// Rows per multi-row INSERT: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
pub(crate) const ROWS_PER_INSERT: usize = 400;
/// Instances per multi-row UPDATE (12 parameters each).
const ROWS_PER_UPDATE: usize = 200;
/// Commits written in one transaction at most.
const MAX_GROUP: usize = 128;

/// An [`InstanceCommit`] that owns its data, as a writer task needs it: a run hands over its
/// journal and records instead of the queue copying them (a run may hold tens of thousands).
#[derive(Debug, Clone)]
pub struct InstanceChange {
    pub instance: WorkflowInstance,
    pub expected_version: Option<i64>,
    pub bookmarks: Vec<Bookmark>,
    pub journal: Vec<WorkflowExecutionLogRecord>,
    pub activity_records: Vec<ActivityExecutionRecord>,
    pub work: Vec<NewWork>,
    pub done_work: Vec<String>,
    pub fence: Option<Fence>,
}

impl InstanceChange {
    fn commit(&self) -> InstanceCommit<'_> {
        InstanceCommit {
            instance: &self.instance,
            expected_version: self.expected_version,
            bookmarks: &self.bookmarks,
            journal: &self.journal,
            activity_records: &self.activity_records,
            work: &self.work,
            done_work: &self.done_work,
            fence: self.fence.as_ref(),
        }
    }
}

impl From<InstanceCommit<'_>> for InstanceChange {
    fn from(c: InstanceCommit<'_>) -> Self {
        Self {
            instance: c.instance.clone(),
            expected_version: c.expected_version,
            bookmarks: c.bookmarks.to_vec(),
            journal: c.journal.to_vec(),
            activity_records: c.activity_records.to_vec(),
            work: c.work.to_vec(),
            done_work: c.done_work.to_vec(),
            fence: c.fence.cloned(),
        }
    }
}

/// What a commit stores as documents — the workflow state, its journal and activity records
/// as one segment each — encoded before the commit is queued, so JSON and compression run
/// on the callers' threads in parallel rather than on the (for SQLite, single) writer.
#[derive(Debug)]
pub(crate) struct Encoded {
    state: Vec<u8>,
    journal: Option<JournalSegment>,
    records: Option<Vec<u8>>,
}

/// The journal records one commit appends, as one row.
#[derive(Debug)]
struct JournalSegment {
    first_sequence: i64,
    record_count: i64,
    data: Vec<u8>,
}

impl Encoded {
    pub(crate) fn of(c: &InstanceCommit<'_>) -> Result<Self> {
        let journal = match c.journal.iter().map(|r| r.sequence).min() {
            Some(first_sequence) => Some(JournalSegment {
                first_sequence,
                record_count: c.journal.len() as i64,
                data: encode(c.journal)?,
            }),
            None => None,
        };
        let records = match c.activity_records {
            [] => None,
            records => Some(encode(records)?),
        };
        Ok(Self {
            state: encode(&c.instance.workflow_state)?,
            journal,
            records,
        })
    }
}

/// A commit ready for a writer.
pub(crate) type Prepared<'a> = (InstanceCommit<'a>, &'a Encoded);

/// A change waiting for a writer.
struct Job {
    change: InstanceChange,
    encoded: Encoded,
    reply: oneshot::Sender<Result<i64>>,
}

impl Job {
    fn prepared(&self) -> Prepared<'_> {
        (self.change.commit(), &self.encoded)
    }
}

/// The writer tasks of one database and the queue in front of them.
#[derive(Debug)]
pub(crate) struct Batcher {
    queue: mpsc::Sender<Job>,
}

impl Batcher {
    /// Starts the writers: one for SQLite (it has one writer anyway), a few for PostgreSQL so a
    /// slow transaction does not stall every other commit. They stop when the queue's last
    /// sender is dropped. Must be called inside the async runtime.
    pub(crate) fn start(db: Database) -> Self {
        let writers = match db {
            Database::Sqlite { .. } => 1,
            Database::Postgres(_) => 4,
        };
        let (queue, receiver) = mpsc::channel(4 * MAX_GROUP);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..writers {
            tokio::spawn(run_writer(db.clone(), receiver.clone()));
        }
        Self { queue }
    }

    /// Queues a commit and waits for its outcome. The write completes even if the caller
    /// stops waiting, so a dropped request never leaves half a change behind.
    pub(crate) async fn submit(&self, change: InstanceChange) -> Result<i64> {
        let encoded = Encoded::of(&change.commit())?;
        let (reply, answer) = oneshot::channel();
        let job = Job {
            change,
            encoded,
            reply,
        };
        let stopped = || StoreError::Database(sqlx::Error::PoolClosed);
        self.queue.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run_writer(db: Database, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let jobs = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut jobs = vec![first];
            while jobs.len() < MAX_GROUP {
                match receiver.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            jobs
        };
        let commits: Vec<Prepared<'_>> = jobs.iter().map(Job::prepared).collect();
        match write(&db, &commits).await {
            Ok(()) => {
                for job in jobs {
                    let version = job.change.commit().new_version();
                    let _ = job.reply.send(Ok(version));
                }
            }
            Err(e) if jobs.len() == 1 => {
                let job = jobs.into_iter().next().expect("one job");
                let _ = job.reply.send(Err(e));
            }
            // The group may be stored: writing its commits again one by one could apply them
            // twice, so each caller learns the outcome is unknown.
            Err(StoreError::CommitOutcomeUnknown(e)) => {
                for job in jobs {
                    let _ = job
                        .reply
                        .send(Err(StoreError::CommitOutcomeUnknown(e.clone())));
                }
            }
            Err(_) => {
                for job in jobs {
                    let prepared = job.prepared();
                    let outcome = write(&db, &[prepared])
                        .await
                        .map(|()| prepared.0.new_version());
                    let _ = job.reply.send(outcome);
                }
            }
        }
    }
}

/// Writes the commits in one transaction: all of them, or none.
pub(crate) async fn write(db: &Database, commits: &[Prepared<'_>]) -> Result<()> {
    let creates: Vec<&Prepared<'_>> = commits
        .iter()
        .filter(|(c, _)| c.expected_version.is_none())
        .collect();
    let updates: Vec<&Prepared<'_>> = commits
        .iter()
        .filter(|(c, _)| c.expected_version.is_some())
        .collect();
    let bookmarks: Vec<(&WorkflowInstance, &Bookmark)> = commits
        .iter()
        .flat_map(|(c, _)| c.bookmarks.iter().map(move |b| (c.instance, b)))
        .collect();
    let journal: Vec<(&str, &JournalSegment)> = commits
        .iter()
        .filter_map(|(c, e)| Some((c.instance.id.as_str(), e.journal.as_ref()?)))
        .collect();
    let records: Vec<(&str, i64, &[u8])> = commits
        .iter()
        .filter_map(|(c, e)| {
            Some((
                c.instance.id.as_str(),
                c.new_version(),
                e.records.as_deref()?,
            ))
        })
        .collect();
    let loose_ids: Vec<&ActivityExecutionRecord> = commits
        .iter()
        .flat_map(|(c, _)| c.activity_records)
        .filter(|r| !crate::records::id_names_instance(&r.id, &r.workflow_instance_id))
        .collect();
    let done_work: Vec<String> = commits
        .iter()
        .flat_map(|(c, _)| c.done_work)
        .cloned()
        .collect();
    let fences: Vec<&Fence> = commits.iter().filter_map(|(c, _)| c.fence).collect();

    with_pool!(db, write, |p| {
        let mut tx = p.begin().await?;
        for chunk in creates.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO \"Elsa_WorkflowInstances\" (id, definition_id, definition_version_id, definition_version, \
                 parent_workflow_instance_id, status, sub_status, correlation_id, name, incident_count, is_system, \
                 is_executing, created_at, updated_at, finished_at, version, data) ",
            );
            q.push_values(chunk, |mut row, (c, e)| {
                let i = c.instance;
                row.push_bind(i.id.as_str())
                    .push_bind(i.definition_id.as_str())
                    .push_bind(i.definition_version_id.as_str())
                    .push_bind(i.version)
                    .push_bind(i.parent_workflow_instance_id.as_deref())
                    .push_bind(i.status.as_str())
                    .push_bind(i.sub_status.as_str())
                    .push_bind(i.correlation_id.as_deref())
                    .push_bind(i.name.as_deref())
                    .push_bind(i.incident_count)
                    .push_bind(i.is_system)
                    .push_bind(i.is_executing)
                    .push_bind(i.created_at)
                    .push_bind(i.updated_at)
                    .push_bind(i.finished_at)
                    .push_bind(1_i64)
                    .push_bind(e.state.as_slice());
            });
            q.build().execute(&mut *tx).await?;
        }
        // One statement per chunk of updates (each a round trip to the database), the version
        // check row by row: fewer rows written than given means some instance changed meanwhile.
        for chunk in updates.chunks(ROWS_PER_UPDATE) {
            let mut q = QueryBuilder::new(
                "UPDATE \"Elsa_WorkflowInstances\" AS t SET status = v.column1, sub_status = v.column2, \
                 correlation_id = v.column3, name = v.column4, incident_count = v.column5, is_executing = v.column6, \
                 updated_at = v.column7, finished_at = v.column8, version = v.column9, data = v.column10 FROM (",
            );
            q.push_values(chunk, |mut row, (c, e)| {
                let i = c.instance;
                row.push_bind(i.status.as_str())
                    .push_bind(i.sub_status.as_str())
                    .push_bind(i.correlation_id.as_deref())
                    .push_bind(i.name.as_deref())
                    .push_bind(i.incident_count)
                    .push_bind(i.is_executing)
                    .push_bind(i.updated_at)
                    .push_bind(i.finished_at)
                    .push_bind(c.new_version())
                    .push_bind(e.state.as_slice())
                    .push_bind(i.id.as_str())
                    .push_bind(c.expected_version.unwrap_or_default());
            });
            q.push(") AS v WHERE t.id = v.column11 AND t.version = v.column12");
            let written = q.build().execute(&mut *tx).await?;
            if written.rows_affected() != chunk.len() as u64 {
                // With several, which one is not known here; the group is retried change by
                // change, and each gets its own answer.
                let first = chunk[0].0;
                return Err(StoreError::Conflict {
                    id: first.instance.id.clone(),
                    expected: first.expected_version.unwrap_or_default(),
                });
            }
        }
        if !updates.is_empty() {
            // An update replaces the instance's bookmarks with the set it carries.
            let mut q =
                QueryBuilder::new("DELETE FROM \"Elsa_Bookmarks\" WHERE workflow_instance_id IN (");
            let mut ids = q.separated(", ");
            for (c, _) in &updates {
                ids.push_bind(c.instance.id.as_str());
            }
            q.push(")");
            q.build().execute(&mut *tx).await?;
        }
        for chunk in bookmarks.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO \"Elsa_Bookmarks\" (id, workflow_instance_id, correlation_id, name, hash, activity_id, \
                 activity_node_id, activity_instance_id, created_at, data) ",
            );
            q.push_values(chunk, |mut row, (i, b)| {
                row.push_bind(b.id.as_str())
                    .push_bind(i.id.as_str())
                    .push_bind(i.correlation_id.as_deref())
                    .push_bind(b.name.as_str())
                    .push_bind(b.hash.as_str())
                    .push_bind(b.activity_id.as_str())
                    .push_bind(b.activity_node_id.as_str())
                    .push_bind(b.activity_instance_id.as_str())
                    .push_bind(b.created_at)
                    .push_bind(Json(*b));
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in journal.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO \"Elsa_WorkflowExecutionLogRecords\" (workflow_instance_id, first_sequence, \
                 record_count, data) ",
            );
            q.push_values(chunk, |mut row, (instance, segment)| {
                row.push_bind(*instance)
                    .push_bind(segment.first_sequence)
                    .push_bind(segment.record_count)
                    .push_bind(segment.data.as_slice());
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in records.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO \"Elsa_ActivityExecutionRecords\" (workflow_instance_id, version, data) ",
            );
            q.push_values(chunk, |mut row, (instance, version, data)| {
                row.push_bind(*instance)
                    .push_bind(*version)
                    .push_bind(*data);
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in loose_ids.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO \"Elsa_ActivityExecutionRecordIds\" (id, workflow_instance_id) ",
            );
            q.push_values(chunk, |mut row, r| {
                row.push_bind(r.id.as_str())
                    .push_bind(&*r.workflow_instance_id);
            });
            q.push(" ON CONFLICT (id) DO NOTHING");
            q.build().execute(&mut *tx).await?;
        }
        // Fewer fenced rows removed than given: some node lost its lease on one of them (which,
        // is not known here; the group is retried change by change).
        for chunk in fences.chunks(ROWS_PER_UPDATE) {
            let mut q = QueryBuilder::new(
                "DELETE FROM \"Elsa_WorkItems\" WHERE (id, locked_by) IN (VALUES ",
            );
            let mut list = q.separated(", ");
            for fence in chunk {
                list.push("(")
                    .push_bind_unseparated(fence.work_id.clone())
                    .push_unseparated(", ")
                    .push_bind_unseparated(fence.owner.clone())
                    .push_unseparated(")");
            }
            q.push(")");
            let removed = q.build().execute(&mut *tx).await?.rows_affected();
            if removed != chunk.len() as u64 {
                return Err(StoreError::LeaseLost {
                    work_id: chunk[0].work_id.clone(),
                });
            }
        }
        delete_work!(tx, done_work);
        for (c, _) in commits {
            insert_work!(tx, db, c.work, c.instance.updated_at);
        }
        tx.commit()
            .await
            .map_err(|e| StoreError::CommitOutcomeUnknown(e.to_string()))?;
    });
    Ok(())
}
