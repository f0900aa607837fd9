//! Retention (`Elsa:Retention`): finished instances older than a time to live are deleted in
//! the background, in batches, with everything that belongs to them; and definitions of
//! workflows run inline (`POST /workflow-definitions/execute`) that no instance uses any more
//! are collected, so distinct inline bodies do not pile up forever. Elsa's retention module
//! is configured in code only; these keys are ours.

use crate::execution::INLINE_PREFIX;
use crate::{Runtime, RuntimeError};
use chrono::TimeDelta;
use elsa_store::DefinitionFilter;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long an inline definition without instances is kept (a request may be about to run it).
const INLINE_GRACE: TimeDelta = TimeDelta::hours(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionOptions {
    /// Finished instances older than this are deleted (`None`: kept forever).
    pub finished_instance_ttl: Option<Duration>,
    /// How often the sweep runs.
    pub sweep_interval: Duration,
    /// Instances deleted per transaction.
    pub batch_size: i64,
}

impl Default for RetentionOptions {
    fn default() -> Self {
        Self {
            finished_instance_ttl: None,
            sweep_interval: Duration::from_secs(60 * 60),
            batch_size: 1_000,
        }
    }
}

impl Runtime {
    /// Sweeps every `sweep_interval` until `shutdown` is cancelled.
    pub async fn run_retention(
        self: Arc<Self>,
        options: RetentionOptions,
        shutdown: CancellationToken,
    ) {
        loop {
            match self.sweep(&options).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("Retention deleted {n} finished workflow instance(s)"),
                Err(error) => tracing::warn!(%error, "the retention sweep failed"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(options.sweep_interval) => {}
            }
        }
    }

    /// One sweep; returns how many instances it deleted.
    pub async fn sweep(&self, options: &RetentionOptions) -> Result<u64, RuntimeError> {
        let now = self.clock.now();
        let mut deleted = 0;
        if let Some(ttl) = options
            .finished_instance_ttl
            .and_then(|t| TimeDelta::from_std(t).ok())
        {
            loop {
                let ids = self
                    .instances
                    .finished_before(now - ttl, options.batch_size)
                    .await?;
                deleted += self.delete_instances(&ids).await?;
                if (ids.len() as i64) < options.batch_size {
                    break;
                }
            }
        }
        self.collect_inline_definitions(now - INLINE_GRACE).await?;
        Ok(deleted)
    }

    /// Deletes the definitions of workflows run inline that were stored before `cutoff` and
    /// have no instance left.
    async fn collect_inline_definitions(
        &self,
        cutoff: elsa_model::Timestamp,
    ) -> Result<(), RuntimeError> {
        let inline = self
            .definitions
            .list(&DefinitionFilter {
                is_system: Some(true),
                ..Default::default()
            })
            .await?
            .items
            .into_iter()
            .filter(|d| d.definition_id.starts_with(INLINE_PREFIX) && d.created_at < cutoff);
        for definition in inline {
            if self
                .instances
                .count_of_definition(&definition.definition_id)
                .await?
                == 0
            {
                self.delete_definition(&definition.definition_id).await?;
            }
        }
        Ok(())
    }
}
