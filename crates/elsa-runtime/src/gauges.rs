//! The gauges of `/metrics` that only the database knows — running workflows, the work
//! queue's depth and the age of its oldest due row — read at every heartbeat rather than at
//! every scrape, so a scrape costs no query and many replicas cost the database one small read
//! each per heartbeat. Every replica reports the same cluster-wide values: aggregate them with
//! `max`, not `sum`.

use crate::{Runtime, RuntimeError};

impl Runtime {
    /// Reads the figures and sets the gauges.
    pub(crate) async fn refresh_gauges(&self) -> Result<(), RuntimeError> {
        let now = self.clock.now();
        let running = self.instances.count_running().await?;
        let depth = self.work.depth(now).await?;
        metrics::gauge!("elsa_active_workflows_total").set(running as f64);
        for (state, count) in [
            ("due", depth.due),
            ("leased", depth.leased),
            ("scheduled", depth.scheduled),
            ("dead_lettered", depth.dead_lettered),
        ] {
            metrics::gauge!("elsa_work_queue_depth", "state" => state).set(count as f64);
        }
        let oldest = depth.oldest_due_at.map_or(0.0, |due| {
            (now - due).num_milliseconds().max(0) as f64 / 1000.0
        });
        metrics::gauge!("elsa_work_queue_oldest_due_seconds").set(oldest);
        Ok(())
    }
}
