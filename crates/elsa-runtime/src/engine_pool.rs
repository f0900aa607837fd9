//! The threads runs execute on. A run is CPU work that may take a while (scripts, long
//! flowcharts), so it never runs on the async workers that serve requests and drive the
//! database: it is handed to a small, fixed set of OS threads. Each thread keeps its own
//! JavaScript runtime with its compiled-expression cache (a thread-local of the engine), so a
//! fixed set also bounds that memory, where tokio's growing blocking pool would not.
//!
//! A finished run holds its journal and records in memory until its commit, and commits queue
//! behind the database's writers: without a limit, runs finishing faster than they commit (a
//! burst of runaway loops) would pile up in memory. So the pool counts the memory of results
//! handed out and not yet released ([`HeldMemory`]), and an engine thread takes no new job
//! while that is at or above the cap (`Elsa:Runtime:MaxUncommittedRunMemory`): a node's run
//! memory stays below the cap plus one run per engine thread.

use crate::RuntimeError;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use tokio::sync::{mpsc, oneshot};

type Job = Box<dyn FnOnce() + Send>;

/// A fixed pool of engine threads; cheap to clone. The threads end when the last clone is
/// dropped.
#[derive(Clone, Debug)]
pub(crate) struct EnginePool {
    jobs: mpsc::Sender<Job>,
    uncommitted: Arc<Uncommitted>,
}

/// The memory held by results not yet released, and the cap above which no job starts.
#[derive(Debug)]
struct Uncommitted {
    bytes: Mutex<usize>,
    released: Condvar,
    cap: usize,
}

impl Uncommitted {
    fn bytes(&self) -> MutexGuard<'_, usize> {
        // The counter stays meaningful whatever panicked while holding the lock.
        self.bytes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Blocks the calling engine thread while the held memory is at or above the cap.
    fn wait_below_cap(&self) {
        let mut bytes = self.bytes();
        while *bytes >= self.cap {
            bytes = self
                .released
                .wait(bytes)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn hold(self: &Arc<Self>, bytes: usize) -> HeldMemory {
        *self.bytes() += bytes;
        HeldMemory {
            uncommitted: self.clone(),
            bytes,
        }
    }
}

/// Memory a run's result holds, counted until this is dropped: keep it until the result is
/// committed (or given up), and drop it before waiting for other runs, which may need an
/// engine thread.
#[derive(Debug)]
pub(crate) struct HeldMemory {
    uncommitted: Arc<Uncommitted>,
    bytes: usize,
}

impl Drop for HeldMemory {
    fn drop(&mut self) {
        let mut bytes = self.uncommitted.bytes();
        *bytes = bytes.saturating_sub(self.bytes);
        drop(bytes);
        self.uncommitted.released.notify_all();
    }
}

impl EnginePool {
    /// Starts `threads` threads (at least one). At most a few jobs per thread wait in line;
    /// callers beyond that wait for room, which is the back-pressure on a busy node. No thread
    /// takes a job while results holding `max_uncommitted` bytes or more are out.
    pub(crate) fn new(threads: usize, max_uncommitted: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, receiver) = mpsc::channel::<Job>(threads * 4);
        let receiver = Arc::new(Mutex::new(receiver));
        let uncommitted = Arc::new(Uncommitted {
            bytes: Mutex::new(0),
            released: Condvar::new(),
            cap: max_uncommitted,
        });
        for n in 0..threads {
            let receiver = receiver.clone();
            let uncommitted = uncommitted.clone();
            std::thread::Builder::new()
                .name(format!("elsa-engine-{n}"))
                .spawn(move || {
                    loop {
                        uncommitted.wait_below_cap();
                        // The lock is held only while waiting for the next job.
                        let job = receiver.lock().map_or(None, |mut r| r.blocking_recv());
                        match job {
                            Some(job) => job(),
                            None => return,
                        }
                    }
                })
                .expect("the OS refused to start an engine thread");
        }
        Self { jobs, uncommitted }
    }

    /// Runs `work` like [`EnginePool::run`] and counts the memory its result holds, `weigh`ed
    /// on the engine thread before that thread takes another job, until the returned
    /// [`HeldMemory`] is dropped.
    pub(crate) async fn run_held<R: Send + 'static>(
        &self,
        work: impl FnOnce() -> R + Send + 'static,
        weigh: impl FnOnce(&R) -> usize + Send + 'static,
    ) -> Result<(R, HeldMemory), RuntimeError> {
        let uncommitted = self.uncommitted.clone();
        self.run(move || {
            let result = work();
            let held = uncommitted.hold(weigh(&result));
            (result, held)
        })
        .await
    }

    /// Runs `work` on an engine thread and waits for its result.
    pub(crate) async fn run<R: Send + 'static>(
        &self,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, RuntimeError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The engine never panics on any input (its fuzz targets check that); should a bug
            // make it, the thread survives and the caller gets an error instead of a hang.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = reply.send(result.ok());
        });
        self.jobs
            .send(job)
            .await
            .map_err(|_| RuntimeError::Stopped)?;
        answer
            .await
            .ok()
            .flatten()
            .ok_or(RuntimeError::EnginePanicked)
    }
}

#[cfg(test)]
mod tests {
    use super::EnginePool;
    use std::time::Duration;

    #[tokio::test]
    async fn no_job_starts_while_held_results_are_over_the_cap() {
        let pool = EnginePool::new(1, 100);
        let (small, held_small) = pool.run_held(|| 1, |_| 60).await.unwrap();
        assert_eq!(small, 1);
        // 60 of 100 bytes held: the next job still starts, and its result takes the total over.
        let (_, held_big) = pool.run_held(|| 2, |_| 60).await.unwrap();

        let mut waiting = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|| 3).await.unwrap() }
        });
        assert!(
            tokio::time::timeout(Duration::from_millis(200), &mut waiting)
                .await
                .is_err(),
            "a job started while 120 of 100 bytes were held"
        );
        drop(held_big);
        // 60 bytes held: below the cap again, so the waiting job runs.
        let third = tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("the job never started after the memory was released")
            .unwrap();
        assert_eq!(third, 3);
        drop(held_small);
    }

    #[tokio::test]
    async fn a_result_nobody_waits_for_releases_its_memory() {
        let pool = EnginePool::new(1, 100);
        let (started, job_started) = std::sync::mpsc::channel();
        let (finish, may_finish) = std::sync::mpsc::channel::<()>();
        let abandoned = tokio::spawn({
            let pool = pool.clone();
            async move {
                let work = move || {
                    started.send(()).unwrap();
                    may_finish.recv().unwrap();
                };
                pool.run_held(work, |_| 1_000).await
            }
        });
        // The job runs; its caller goes away; only then does it produce its 1,000 bytes.
        tokio::task::spawn_blocking(move || job_started.recv().unwrap())
            .await
            .unwrap();
        abandoned.abort();
        let _ = abandoned.await;
        finish.send(()).unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(10), pool.run(|| 4)).await;
        assert_eq!(answer.expect("the pool stayed blocked").unwrap(), 4);
    }
}
