//! `Elsa:Runtime:*` and `Elsa:Retention:*`: how this node runs work — engine threads, the
//! background worker, leases, the run budgets, the shutdown drain — and what it deletes when.
//! Elsa configures these in code; the keys are ours, named in its style.

use std::collections::HashMap;
use std::time::Duration;

use super::error::ConfigError;
use super::keys;
use super::settings::{Origin, Setting};
use super::sources::Configuration;
use super::values::{count, lifetime, optional, parse_lifetime, wait};

#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// `Elsa:Runtime:NodeId`: this node's name in leases (default: `POD_NAME`, `HOSTNAME`,
    /// else generated per start).
    pub node_id: Setting<String>,
    /// `Elsa:Runtime:EngineThreads` (default: the number of CPUs).
    pub engine_threads: Setting<usize>,
    /// `Elsa:Runtime:Workers`: work items the background worker has in hand at most
    /// (default: 16 per CPU).
    pub workers: Setting<usize>,
    /// `Elsa:Runtime:MaxRunDuration`: wall-clock budget of one run.
    pub max_run_duration: Setting<Duration>,
    /// `Elsa:Runtime:MaxActivityExecutionsPerRun`: activities one run may execute.
    pub max_activity_executions: Setting<usize>,
    /// `Elsa:Runtime:MaxJournalEntriesPerRun`: execution log entries one run may write.
    pub max_journal_entries: Setting<usize>,
    /// `Elsa:Runtime:MaxJournalBytesPerRun`: estimated bytes of the execution log entries one
    /// run may write.
    pub max_journal_bytes: Setting<usize>,
    /// `Elsa:Runtime:MaxActivityRecordsPerRun`: activity execution records one run may write.
    pub max_activity_records: Setting<usize>,
    /// `Elsa:Runtime:MaxStateSize`: estimated bytes of the workflow state a run may leave.
    pub max_state_size: Setting<usize>,
    /// `Elsa:Runtime:MaxUncommittedRunMemory`: estimated bytes finished runs may hold until
    /// their commits before the engine starts no new run.
    pub max_uncommitted_run_memory: Setting<usize>,
    /// `Elsa:Runtime:ShutdownDelay`: how long after SIGTERM the server keeps serving while
    /// readiness fails, so load balancers drop it before it closes its listeners.
    pub shutdown_delay: Setting<Duration>,
    /// `Elsa:Runtime:ShutdownTimeout`: how long SIGTERM waits for work in hand, below
    /// Kubernetes' 30 s grace period.
    pub shutdown_timeout: Setting<Duration>,
    /// `Elsa:Runtime:LeaseDuration`: how soon a dead node's work is taken over.
    pub lease: Setting<Duration>,
    /// `Elsa:Runtime:MaxAttempts`: attempts of a work item before it is dead-lettered.
    pub max_attempts: Setting<usize>,
    /// `Elsa:Runtime:HttpRequestTimeout`: of `SendHttpRequest` (.NET's default 100 s).
    pub http_timeout: Setting<Duration>,
    /// `Elsa:Retention:FinishedInstanceTtl`: finished instances older than this are deleted
    /// (unset: kept).
    pub finished_instance_ttl: Option<Setting<Duration>>,
    /// `Elsa:Retention:SweepInterval`.
    pub sweep_interval: Setting<Duration>,
}

pub(super) fn resolve(
    config: &Configuration,
    env: &HashMap<String, String>,
) -> Result<RuntimeSettings, ConfigError> {
    let node_id = match config.entry(&keys::NODE_ID) {
        Some(entry) => Setting {
            value: entry.value.trim().to_owned(),
            origin: Origin::of(entry),
        },
        None => default_node_id(env),
    };
    Ok(RuntimeSettings {
        node_id,
        engine_threads: count(config, &keys::ENGINE_THREADS)?,
        workers: count(config, &keys::WORKERS)?,
        max_run_duration: lifetime(config, &keys::MAX_RUN_DURATION)?,
        max_activity_executions: count(config, &keys::MAX_ACTIVITY_EXECUTIONS)?,
        max_journal_entries: count(config, &keys::MAX_JOURNAL_ENTRIES)?,
        max_journal_bytes: count(config, &keys::MAX_JOURNAL_BYTES)?,
        max_activity_records: count(config, &keys::MAX_ACTIVITY_RECORDS)?,
        max_state_size: count(config, &keys::MAX_STATE_SIZE)?,
        max_uncommitted_run_memory: count(config, &keys::MAX_UNCOMMITTED_RUN_MEMORY)?,
        shutdown_delay: wait(config, &keys::SHUTDOWN_DELAY)?,
        shutdown_timeout: lifetime(config, &keys::SHUTDOWN_TIMEOUT)?,
        lease: lifetime(config, &keys::LEASE_DURATION)?,
        max_attempts: count(config, &keys::MAX_ATTEMPTS)?,
        http_timeout: lifetime(config, &keys::HTTP_REQUEST_TIMEOUT)?,
        finished_instance_ttl: optional(config, &keys::FINISHED_INSTANCE_TTL, parse_lifetime)?,
        sweep_interval: lifetime(config, &keys::SWEEP_INTERVAL)?,
    })
}

/// The pod name Kubernetes gives (`POD_NAME` from the downward API), else the host name (a
/// pod's host name is its name), else one made up for this start.
fn default_node_id(env: &HashMap<String, String>) -> Setting<String> {
    for name in ["POD_NAME", "HOSTNAME"] {
        if let Some(value) = env.get(name).filter(|v| !v.trim().is_empty()) {
            return Setting {
                value: value.trim().to_owned(),
                origin: Origin::Derived(format!("from the {name} environment variable")),
            };
        }
    }
    let value = elsa_runtime::generated_node_id();
    Setting {
        value,
        origin: Origin::Derived(
            "generated for this start: neither Elsa:Runtime:NodeId, POD_NAME nor HOSTNAME is set"
                .into(),
        ),
    }
}
