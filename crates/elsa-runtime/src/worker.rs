//! The background worker: does queued work when it falls due — timers, dispatched workflows,
//! ticks of scheduled triggers, asynchronous events, and the retries of inline work that
//! failed.
//!
//! One loop claims due rows (a lease per row, see `elsa_store::work`) as far as free worker
//! slots allow, hands each to a task, and sleeps until the next row or tick is due. It is
//! woken early when this node queues work or a slot comes free, and polls every
//! [`IDLE_POLL`] for what other nodes queued and for leases that ran out. Past-due work after
//! a restart is just due work: it is taken at the pace the slots allow, after the node is
//! ready, never before.

use crate::schedule::Schedule;
use crate::work::{StartWork, Work, derived_id};
use crate::{Runtime, RuntimeError};
use chrono::TimeDelta;
use elsa_model::Timestamp;
use elsa_store::{StoreError, WorkItem};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Longest sleep: work other nodes queued and leases that ran out are found this late.
const IDLE_POLL: Duration = Duration::from_secs(5);
/// Shortest sleep between rounds when work is due soon: what falls due meanwhile is claimed
/// together, a few milliseconds late at most.
const COALESCE: Duration = Duration::from_millis(5);
/// Sleep after a failed round (the database is away).
const AFTER_ERROR: Duration = Duration::from_secs(1);
/// Scheduled triggers fired per round at most.
const TICKS_PER_ROUND: i64 = 100;
/// Work items [`Runtime::run_due_work`] does at most.
const MAX_DUE_WORK: usize = 1_000;
/// Longest wait before a failed work item is tried again.
const MAX_BACKOFF: TimeDelta = TimeDelta::minutes(5);

impl Runtime {
    /// Wakes the background worker early: work was queued, or a worker slot came free.
    pub fn wake_worker(&self) {
        self.wake.notify_one();
    }

    /// Runs the background worker until `shutdown` is cancelled, then waits for the work in
    /// hand to finish (the caller bounds that wait).
    pub async fn run_worker(self: Arc<Self>, shutdown: CancellationToken) {
        // A node that restarts under the same id takes its old leases back at once instead
        // of waiting for them to run out.
        match self.work.release(&self.options.node_id).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("Took back {n} work item(s) this node held before it stopped"),
            Err(error) => tracing::warn!(%error, "could not take back this node's work items"),
        }
        let renewer = tokio::spawn(self.clone().renew_leases());
        let tracker = TaskTracker::new();
        let slots = Arc::new(Semaphore::new(self.options.workers.max(1)));
        let mut last_claim = std::time::Instant::now();
        loop {
            let wait = match self.round(&slots, &tracker, &mut last_claim).await {
                Ok(wait) => wait,
                Err(error) => {
                    tracing::warn!(%error, "the background worker could not read its work");
                    AFTER_ERROR
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
        tracker.close();
        tracker.wait().await;
        renewer.abort();
    }

    /// One round: fires due ticks, claims due work as far as slots allow, and says how long
    /// to sleep.
    async fn round(
        self: &Arc<Self>,
        slots: &Arc<Semaphore>,
        tracker: &TaskTracker,
        last_claim: &mut std::time::Instant,
    ) -> Result<Duration, RuntimeError> {
        let now = self.clock.now();
        if self.fire_due_triggers(now).await? == TICKS_PER_ROUND as usize {
            return Ok(Duration::ZERO);
        }
        let free = slots.available_permits();
        if free == 0 {
            // A finishing task wakes the loop.
            return Ok(IDLE_POLL);
        }
        // Claim in batches: with most slots busy, let more come free for a moment rather than
        // spend a write on a row or two.
        let since_claim = last_claim.elapsed();
        if free < self.options.workers / 2 && since_claim < COALESCE {
            return Ok(COALESCE - since_claim);
        }
        // A claim is a write (and SQLite has one writer): read first whether anything is due.
        let next_work = self.work.next_due(now).await?;
        if next_work.is_none_or(|at| at > now) {
            return self.until_next(now, next_work).await;
        }
        // The slots first, so that every row claimed has one (the surplus goes back below).
        let Ok(mut taken) = slots.clone().try_acquire_many_owned(free as u32) else {
            return Ok(IDLE_POLL);
        };
        *last_claim = std::time::Instant::now();
        let claimed = self.work.claim(now, &self.lease(now), free as i64).await?;
        self.counters.claimed(&claimed, now);
        let full = claimed.items.len() == free;
        for item in claimed.items {
            let Some(slot) = taken.split(1) else {
                break;
            };
            self.leases.hold(&item.id);
            let runtime = self.clone();
            tracker.spawn(async move {
                runtime.run_item(item).await;
                drop(slot);
                runtime.wake_worker();
            });
        }
        drop(taken);
        if full {
            // More may be due than there were slots.
            return Ok(Duration::ZERO);
        }
        let next_work = self.work.next_due(now).await?;
        self.until_next(now, next_work).await
    }

    /// How long until the next work row or trigger tick is due (at most [`IDLE_POLL`]). Work
    /// due in a moment waits [`COALESCE`], so that timers due close together are claimed in one
    /// write rather than one each.
    async fn until_next(
        &self,
        now: Timestamp,
        next_work: Option<Timestamp>,
    ) -> Result<Duration, RuntimeError> {
        let next_tick = self.trigger_index.next_fire_at().await?;
        let next = [next_tick, next_work].into_iter().flatten().min();
        Ok(next.map_or(IDLE_POLL, |at| {
            (at - now)
                .to_std()
                .unwrap_or_default()
                .clamp(COALESCE, IDLE_POLL)
        }))
    }

    /// Does, in this task, every work item due now — ticks of scheduled triggers included —
    /// and the work that work queues, until none is left: for the `run` command and tests, which have no background worker.
    /// Returns how many items were done; a workflow that keeps queueing work ends with
    /// [`RuntimeError::FollowUpLimit`].
    pub async fn run_due_work(&self) -> Result<usize, RuntimeError> {
        let mut done = 0;
        loop {
            let now = self.clock.now();
            while self.fire_due_triggers(now).await? == TICKS_PER_ROUND as usize {}
            let claimed = self.work.claim(now, &self.lease(now), 32).await?;
            self.counters.claimed(&claimed, now);
            let items = claimed.items;
            if items.is_empty() {
                return Ok(done);
            }
            for item in items {
                done += 1;
                if done > MAX_DUE_WORK {
                    return Err(RuntimeError::FollowUpLimit(MAX_DUE_WORK));
                }
                self.leases.hold(&item.id);
                self.run_item(item).await;
            }
        }
    }

    /// Does one claimed item; a failure gives it back for a later attempt.
    async fn run_item(&self, item: WorkItem) {
        let work = match Work::of(&item) {
            Ok(work) => work,
            Err(error) => {
                let error = format!("the work item cannot be read: {error}");
                self.give_back(&item.id, self.options.max_attempts, &error)
                    .await;
                self.leases.forget(&item.id);
                return;
            }
        };
        match self.perform(&item.id, work).await {
            Ok(Some(committed)) => {
                if let Err(error) = self.settle(committed).await {
                    tracing::warn!(work_id = %item.id, %error, "follow-up work failed");
                }
            }
            Ok(None) => {}
            Err(RuntimeError::Store(StoreError::LeaseLost { .. })) => lease_lost(&item.id),
            Err(error) => {
                tracing::warn!(work_id = %item.id, kind = %item.kind, attempt = item.attempts, %error, "work failed");
                self.give_back(&item.id, item.attempts, &error.to_string())
                    .await;
            }
        }
        self.leases.forget(&item.id);
    }

    /// Returns a failed item to the queue, due again after a backoff that doubles with each
    /// attempt, or dead-letters it once its attempts are used up.
    pub(crate) async fn give_back(&self, id: &str, attempts: i32, error: &str) {
        let fence = self.fence(id);
        let result = if attempts >= self.options.max_attempts {
            tracing::error!(work_id = %id, %error, "work dead-lettered after {attempts} attempt(s)");
            self.work.dead_letter(&fence, error).await
        } else {
            let retry_at = self.clock.now() + backoff(attempts);
            self.work.retry_later(&fence, retry_at, error).await
        };
        match result {
            Ok(true) => {}
            Ok(false) => lease_lost(id),
            // Its lease runs out and it is retried anyway.
            Err(error) => {
                tracing::warn!(work_id = %id, %error, "could not give a failed work item back");
            }
        }
        self.wake_worker();
    }

    /// Fires the ticks of scheduled triggers due at `now`: each queues the start of a new
    /// instance and moves its trigger's schedule on, in one step that succeeds once per tick
    /// (the instance id is derived from trigger and tick, so even a repeated queueing starts
    /// one instance). Returns how many were due.
    async fn fire_due_triggers(&self, now: Timestamp) -> Result<usize, RuntimeError> {
        let due = self.trigger_index.due(now, TICKS_PER_ROUND).await?;
        let count = due.len();
        for trigger in due {
            let Some(fired) = trigger.next_fire_at else {
                continue;
            };
            let next =
                Schedule::of(&trigger.name, &trigger.payload).and_then(|s| s.next(fired, now));
            let instance_id = derived_id(&["tick", &trigger.id, &fired.to_rfc3339()]);
            let work = Work::Start(StartWork {
                definition_id: trigger.definition_id,
                definition_version_id: Some(trigger.definition_version_id),
                trigger_activity_id: Some(trigger.activity_id),
                trigger_id: Some(trigger.id.clone()),
                instance_id: instance_id.clone(),
                ..StartWork::default()
            });
            let row = work.row(derived_id(&["start", &instance_id]), fired, None);
            // Another node may have fired this tick a moment ago: only one moves the schedule.
            if self
                .trigger_index
                .fire(&self.runtime_db, &trigger.id, fired, next, &row)
                .await?
            {
                self.counters.tick_fired(fired, now);
            }
        }
        Ok(count)
    }

    /// Keeps the leases of the items this node works on from running out.
    async fn renew_leases(self: Arc<Self>) {
        let period = self.options.lease / 3;
        loop {
            tokio::time::sleep(period).await;
            let held = self.leases.held();
            if held.is_empty() {
                continue;
            }
            if let Err(error) = self.work.renew(&held, &self.lease(self.clock.now())).await {
                tracing::warn!(%error, "could not renew the leases of work in hand");
            }
        }
    }
}

/// This node held work item `id` past its lease and another node took it over: what this
/// node did is dropped (its commit was refused), the other node's result stands.
pub(crate) fn lease_lost(id: &str) {
    tracing::warn!(
        work_id = %id,
        "this node's lease on the work item ran out and another node took it over; its result here is dropped"
    );
}

/// 2, 4, 8 ... seconds after attempt 1, 2, 3 ..., at most [`MAX_BACKOFF`].
fn backoff(attempts: i32) -> TimeDelta {
    let exponent = u32::try_from(attempts.clamp(1, 16)).unwrap_or(1);
    TimeDelta::seconds(1 << exponent).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(backoff(1), TimeDelta::seconds(2));
        assert_eq!(backoff(3), TimeDelta::seconds(8));
        assert_eq!(backoff(9), MAX_BACKOFF);
        assert_eq!(backoff(0), TimeDelta::seconds(2));
    }
}
