//! `Elsa:Runtime:*` and `Elsa:Retention:*`: how this node runs work — engine threads, the
//! background worker, leases, the run budgets, the shutdown drain — and what it deletes when.
//! Elsa configures these in code; the keys are ours, named in its style.

use std::collections::HashMap;
use std::time::Duration;

use super::error::ConfigError;
use super::settings::{Origin, Setting};
use super::sources::Configuration;
use super::values::{count, lifetime};

/// Defaults, added to the configuration so `config check` shows where each value came from.
/// The per-run budgets' defaults are the engine's (`elsa_engine::DEFAULT_*`; a test keeps them
/// equal): see there and docs/security.md for why these values.
pub(super) const DEFAULTS: [(&str, &str); 12] = [
    ("Elsa:Runtime:MaxRunDuration", "00:00:30"),
    ("Elsa:Runtime:MaxActivityExecutionsPerRun", "100000"),
    ("Elsa:Runtime:MaxJournalEntriesPerRun", "50000"),
    ("Elsa:Runtime:MaxJournalBytesPerRun", "67108864"),
    ("Elsa:Runtime:MaxActivityRecordsPerRun", "25000"),
    ("Elsa:Runtime:MaxStateSize", "33554432"),
    ("Elsa:Runtime:MaxUncommittedRunMemory", "67108864"),
    ("Elsa:Runtime:ShutdownTimeout", "00:00:20"),
    ("Elsa:Runtime:LeaseDuration", "00:00:20"),
    ("Elsa:Runtime:MaxAttempts", "10"),
    ("Elsa:Runtime:HttpRequestTimeout", "00:01:40"),
    ("Elsa:Retention:SweepInterval", "01:00:00"),
];

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
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let node_id = match config.entry("Elsa:Runtime:NodeId") {
        Some(entry) => Setting {
            value: entry.value.trim().to_owned(),
            origin: Origin::of(entry),
        },
        None => default_node_id(env),
    };
    Ok(RuntimeSettings {
        node_id,
        engine_threads: per_cpu(count(config, "Elsa:Runtime:EngineThreads", cpus)?, "one"),
        workers: per_cpu(count(config, "Elsa:Runtime:Workers", cpus * 16)?, "16"),
        max_run_duration: lifetime(
            config,
            "Elsa:Runtime:MaxRunDuration",
            Duration::from_secs(30),
        )?,
        max_activity_executions: count(
            config,
            "Elsa:Runtime:MaxActivityExecutionsPerRun",
            elsa_engine::DEFAULT_MAX_ACTIVITY_EXECUTIONS,
        )?,
        max_journal_entries: count(
            config,
            "Elsa:Runtime:MaxJournalEntriesPerRun",
            elsa_engine::DEFAULT_MAX_JOURNAL_ENTRIES_PER_RUN,
        )?,
        max_journal_bytes: count(
            config,
            "Elsa:Runtime:MaxJournalBytesPerRun",
            elsa_engine::DEFAULT_MAX_JOURNAL_BYTES_PER_RUN,
        )?,
        max_activity_records: count(
            config,
            "Elsa:Runtime:MaxActivityRecordsPerRun",
            elsa_engine::DEFAULT_MAX_ACTIVITY_RECORDS_PER_RUN,
        )?,
        max_state_size: count(
            config,
            "Elsa:Runtime:MaxStateSize",
            elsa_engine::DEFAULT_MAX_STATE_SIZE,
        )?,
        max_uncommitted_run_memory: count(
            config,
            "Elsa:Runtime:MaxUncommittedRunMemory",
            elsa_runtime::DEFAULT_MAX_UNCOMMITTED_RUN_MEMORY,
        )?,
        shutdown_timeout: lifetime(
            config,
            "Elsa:Runtime:ShutdownTimeout",
            Duration::from_secs(20),
        )?,
        lease: lifetime(
            config,
            "Elsa:Runtime:LeaseDuration",
            Duration::from_secs(20),
        )?,
        max_attempts: count(config, "Elsa:Runtime:MaxAttempts", 10)?,
        http_timeout: lifetime(
            config,
            "Elsa:Runtime:HttpRequestTimeout",
            Duration::from_secs(100),
        )?,
        finished_instance_ttl: config
            .entry("Elsa:Retention:FinishedInstanceTtl")
            .map(|_| lifetime(config, "Elsa:Retention:FinishedInstanceTtl", Duration::ZERO))
            .transpose()?,
        sweep_interval: lifetime(
            config,
            "Elsa:Retention:SweepInterval",
            Duration::from_secs(3600),
        )?,
    })
}

/// Says where a default that follows the machine comes from.
fn per_cpu(mut setting: Setting<usize>, how_many: &str) -> Setting<usize> {
    if let Origin::Derived(_) = setting.origin {
        setting.origin = Origin::Derived(format!("default: {how_many} per CPU"));
    }
    setting
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
