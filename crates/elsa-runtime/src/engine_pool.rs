//! The threads runs execute on. A run is CPU work that may take a while (scripts, long
//! flowcharts), so it never runs on the async workers that serve requests and drive the
//! database: it is handed to a small, fixed set of OS threads. Each thread keeps its own
//! JavaScript runtime with its compiled-expression cache (a thread-local of the engine), so a
//! fixed set also bounds that memory, where tokio's growing blocking pool would not.

use crate::RuntimeError;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

type Job = Box<dyn FnOnce() + Send>;

/// A fixed pool of engine threads; cheap to clone. The threads end when the last clone is
/// dropped.
#[derive(Clone, Debug)]
pub(crate) struct EnginePool {
    jobs: mpsc::Sender<Job>,
}

impl EnginePool {
    /// Starts `threads` threads (at least one). At most a few jobs per thread wait in line;
    /// callers beyond that wait for room, which is the back-pressure on a busy node.
    pub(crate) fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, receiver) = mpsc::channel::<Job>(threads * 4);
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("elsa-engine-{n}"))
                .spawn(move || {
                    loop {
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
        Self { jobs }
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
