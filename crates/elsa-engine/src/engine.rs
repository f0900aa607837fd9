//! The engine's public entry points.

use crate::clock::{Clock, IdGenerator};
use crate::effects::Effect;
use crate::error::LoadError;
use crate::execution::{Execution, RunLimits};
use crate::expressions::javascript::ScriptLimits;
use crate::expressions::liquid::LiquidLimits;
use crate::loader::{self, ActivityResolver, NoActivities};
use crate::log_persistence::LogPersistenceMode;
use crate::registry::ActivityRegistry;
use crate::resume;
use crate::state;
use crate::workflow::Workflow;
use elsa_model::{
    ActivityExecutionRecord, Bookmark, WorkflowDefinition, WorkflowExecutionLogRecord,
    WorkflowState,
};
use serde_json::{Map, Value};
use std::time::Duration;

/// Tunables of an [`Engine`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// Wall-time budget of one JavaScript evaluation.
    pub script_timeout: Duration,
    /// Heap limit of each thread's JavaScript runtime, in bytes.
    pub script_memory_limit: usize,
    /// Stack limit of JavaScript code, in bytes.
    pub script_stack_size: usize,
    /// Compiled expressions kept per thread.
    pub script_cache_capacity: usize,
    /// Wall-time budget of one Liquid render.
    pub liquid_timeout: Duration,
    /// Loop iterations (`for`, `tablerow`, all loops together) of one Liquid render.
    pub liquid_iteration_limit: usize,
    /// Bytes one Liquid render may output.
    pub liquid_output_limit: usize,
    /// Estimated bytes of any one value a Liquid render builds (a filter's result, a variable
    /// `assign` or `capture` sets).
    pub liquid_value_limit: usize,
    /// Estimated bytes of all the variables a Liquid render's `assign`/`capture` hold at once.
    pub liquid_memory_limit: usize,
    /// Activity executions allowed in one run, so that a flowchart loop that never ends faults
    /// instead of running forever.
    pub max_activity_executions: usize,
    /// Journal entries one run may append (`Started`, `Completed`, ... each one row of the
    /// execution log): the entry that would go past it is not made, and the workflow faults
    /// with an incident naming the limit; the fault's own `Faulted` entry is the only one
    /// past the budget.
    pub max_journal_entries_per_run: usize,
    /// Estimated bytes (the JSON the store writes) of the journal entries of one run; past it,
    /// as [`EngineOptions::max_journal_entries_per_run`].
    pub max_journal_bytes_per_run: usize,
    /// Activity execution records one run may write — one per activity execution context it
    /// holds, restored or new: the activity whose context would go past it faults the
    /// workflow instead of running.
    pub max_activity_records_per_run: usize,
    /// Estimated bytes of the workflow state a run leaves: a larger state is not kept — the
    /// workflow faults with an incident and its state keeps only the root context without
    /// variables (and, if still too large, no input).
    pub max_state_size: usize,
    /// Wall-clock budget of one run: an activity that would start after it faults the
    /// workflow with an incident saying so (`None`: no budget).
    pub max_run_duration: Option<Duration>,
    /// How flowcharts decide when a target with several inbound connections runs (Elsa's
    /// `Flowchart:DefaultExecutionMode`).
    pub flowchart_mode: FlowchartMode,
    /// What activity execution records keep when neither the workflow nor the activity says
    /// (Elsa's `LogPersistenceMode` option; also the `Configuration` strategy's answer).
    pub log_persistence_mode: LogPersistenceMode,
}

// Per-run budgets (docs/security.md explains each). A run costs about one journal entry per
// activity transition (an activity that runs and completes: two) and one activity record per
// execution, each about 700 bytes written; the flowchart cycle of issue 9 wrote 300,000 rows
// (217 MB) in 11 s of CPU reaching the execution cap. With these defaults it stops after
// 25,000 executions, at the record budget. A run also holds what it writes in memory until its
// commit, so the budgets bound a run's memory too (see DEFAULT_MAX_ACTIVITY_RECORDS_PER_RUN).
//
// Measured maxima of the conformance corpus (shared/fixtures/elsa-corpus, ELSA_CORPUS_DIR;
// every run of `cargo test -p elsa-server --test conformance`), per run:
//   journal entries   70       (matter-workflow)
//   journal bytes     36,036   (matter-workflow; JSON as stored)
//   activity records  35       (matter-workflow)
//   state size        4,931 bytes
// — three orders of magnitude below the defaults. Legitimate loops fit: a ForEach over 10,000
// items with a one-activity body needs about 20,000 entries and 10,000 records; over 5,000
// items with a body of a Sequence of three, about 40,000 entries and 20,000 records.

/// The default of [`EngineOptions::max_activity_executions`]: a backstop; with the other
/// defaults the activity-record budget is met first.
pub const DEFAULT_MAX_ACTIVITY_EXECUTIONS: usize = 100_000;
/// The default of [`EngineOptions::max_journal_entries_per_run`]: two per activity record the
/// record budget allows (an activity's `Started` and `Completed`).
pub const DEFAULT_MAX_JOURNAL_ENTRIES_PER_RUN: usize = 50_000;
/// The default of [`EngineOptions::max_journal_bytes_per_run`]: 64 MiB, about 1.3 KiB for each
/// of the entries the entry budget allows (an ordinary entry is 400 to 750 bytes).
pub const DEFAULT_MAX_JOURNAL_BYTES_PER_RUN: usize = 64 * 1024 * 1024;
/// The default of [`EngineOptions::max_activity_records_per_run`]. A run holds its records and
/// journal in memory until its commit: a flowchart cycle stopped by these budgets grows a
/// release build by about 190 MiB (docs/security.md), which the runtime's cap on the memory of
/// uncommitted runs keeps from multiplying.
pub const DEFAULT_MAX_ACTIVITY_RECORDS_PER_RUN: usize = 25_000;
/// The default of [`EngineOptions::max_state_size`]: 32 MiB, eight times the default request body
/// (4 MiB) and twice the largest outbound response (16 MiB),
/// so that an input the API accepts always fits (also when an activity's evaluated inputs
/// repeat it).
pub const DEFAULT_MAX_STATE_SIZE: usize = 32 * 1024 * 1024;

/// Elsa's two flowchart algorithms (elsa-api.md §5.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FlowchartMode {
    /// Visit counters per activity and connection; implicit `WaitAllActive` joins with
    /// dead-path elimination; `Elsa.FlowJoin` modes. Elsa's default.
    #[default]
    CounterBased,
    /// Tokens on followed connections; each target joins by its `customProperties.mergeMode`
    /// (`Stream` by default, `Merge`, `Converge`, `Cascade`, `Race`).
    TokenBased,
}

/// The run property (a key of [`StartRequest::properties`], kept in `workflowState.properties`)
/// that chooses the flowchart algorithm for one instance, over [`EngineOptions::flowchart_mode`].
pub const FLOWCHART_MODE_PROPERTY: &str = "Flowchart:ExecutionMode";

impl FlowchartMode {
    /// Reads Elsa's `FlowchartExecutionMode` as a run property gives it: its name (any case)
    /// or number (`1` token-based, `2` counter-based). `Default` (`0`) or anything else is
    /// `None`: the engine's mode applies.
    pub fn from_run_property(value: &Value) -> Option<Self> {
        match value {
            Value::String(name) if name.eq_ignore_ascii_case("TokenBased") => {
                Some(Self::TokenBased)
            }
            Value::String(name) if name.eq_ignore_ascii_case("CounterBased") => {
                Some(Self::CounterBased)
            }
            Value::Number(n) if n.as_i64() == Some(1) => Some(Self::TokenBased),
            Value::Number(n) if n.as_i64() == Some(2) => Some(Self::CounterBased),
            _ => None,
        }
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        let script = ScriptLimits::default();
        let liquid = LiquidLimits::default();
        Self {
            script_timeout: script.timeout,
            script_memory_limit: script.memory_limit,
            script_stack_size: script.stack_size,
            script_cache_capacity: script.cache_capacity,
            liquid_timeout: liquid.timeout,
            liquid_iteration_limit: liquid.iteration_limit,
            liquid_output_limit: liquid.output_limit,
            liquid_value_limit: liquid.value_limit,
            liquid_memory_limit: liquid.memory_limit,
            max_activity_executions: DEFAULT_MAX_ACTIVITY_EXECUTIONS,
            max_journal_entries_per_run: DEFAULT_MAX_JOURNAL_ENTRIES_PER_RUN,
            max_journal_bytes_per_run: DEFAULT_MAX_JOURNAL_BYTES_PER_RUN,
            max_activity_records_per_run: DEFAULT_MAX_ACTIVITY_RECORDS_PER_RUN,
            max_state_size: DEFAULT_MAX_STATE_SIZE,
            max_run_duration: None,
            flowchart_mode: FlowchartMode::default(),
            log_persistence_mode: LogPersistenceMode::default(),
        }
    }
}

/// What starts a new workflow instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartRequest {
    pub instance_id: String,
    pub correlation_id: Option<String>,
    pub name: Option<String>,
    /// Workflow input (`workflowState.input`, `getInput(name)` in scripts).
    pub input: Map<String, Value>,
    /// The trigger activity that caused this start; a flowchart containing it starts there.
    pub trigger_activity_id: Option<String>,
    /// What the stimulus tells the trigger activity (e.g. the HTTP request's data for
    /// `HttpEndpoint`, under the same keys its bookmark is resumed with).
    pub trigger_input: Map<String, Value>,
    pub parent_workflow_instance_id: Option<String>,
    /// The instance's `workflowState.properties`, which Elsa calls run properties: a child's
    /// `ParentInstanceId`, [`FLOWCHART_MODE_PROPERTY`].
    pub properties: Map<String, Value>,
}

impl StartRequest {
    pub fn new(instance_id: impl Into<String>) -> Self {
        Self {
            instance_id: instance_id.into(),
            ..Self::default()
        }
    }
}

/// What resumes a suspended instance: one of its bookmarks, and the stimulus' input (added to
/// the workflow input; e.g. `__EventPayloadWorkflowInput` for events).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResumeRequest {
    pub bookmark_id: String,
    pub input: Map<String, Value>,
}

/// Why a persisted instance cannot be resumed or cancelled. `Display` is one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    #[error("The workflow instance has no bookmark '{0}'.")]
    BookmarkNotFound(String),
    #[error("The workflow instance is finished and cannot run again.")]
    Finished,
    #[error("The workflow instance was created from another workflow version ({0}).")]
    WrongWorkflow(String),
    #[error("The workflow state cannot be restored: {0}.")]
    CorruptState(String),
}

/// Everything a run produced; the runtime persists it in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub state: WorkflowState,
    /// The instance's bookmarks after this run (also in `state.bookmarks`).
    pub bookmarks: Vec<Bookmark>,
    /// Journal records appended by this run, in sequence order.
    pub journal: Vec<WorkflowExecutionLogRecord>,
    /// One record per activity execution context touched in this run.
    pub activity_records: Vec<ActivityExecutionRecord>,
    /// `WriteLine` texts in order, for the runtime to print.
    pub lines: Vec<String>,
    /// What the runtime must do on the engine's behalf, in order (see [`Effect`]).
    pub effects: Vec<Effect>,
    /// About how many bytes of memory this result holds until it is committed (its journal
    /// and records, most of it): what the runtime counts against the memory of uncommitted
    /// runs.
    pub held_bytes: usize,
}

/// Loads and runs workflows. `Send + Sync`; share one through an `Arc`.
#[derive(Debug)]
pub struct Engine {
    pub(crate) limits: RunLimits,
    log_persistence_mode: LogPersistenceMode,
    registry: ActivityRegistry,
}

impl Engine {
    pub fn new(options: EngineOptions) -> Self {
        Self {
            limits: RunLimits {
                script: ScriptLimits {
                    timeout: options.script_timeout,
                    memory_limit: options.script_memory_limit,
                    stack_size: options.script_stack_size,
                    cache_capacity: options.script_cache_capacity,
                },
                liquid: LiquidLimits {
                    timeout: options.liquid_timeout,
                    iteration_limit: options.liquid_iteration_limit,
                    output_limit: options.liquid_output_limit,
                    value_limit: options.liquid_value_limit,
                    memory_limit: options.liquid_memory_limit,
                },
                max_activity_executions: options.max_activity_executions,
                max_journal_entries: options.max_journal_entries_per_run,
                max_journal_bytes: options.max_journal_bytes_per_run,
                max_activity_records: options.max_activity_records_per_run,
                max_state_size: options.max_state_size,
                max_run_duration: options.max_run_duration,
                flowchart_mode: options.flowchart_mode,
            },
            log_persistence_mode: options.log_persistence_mode,
            registry: ActivityRegistry::builtin(),
        }
    }

    /// The activity types this engine runs (source of `/descriptors/activities`).
    pub fn registry(&self) -> &ActivityRegistry {
        &self.registry
    }

    /// Parses and validates a definition into an executable workflow (built-in activity types
    /// only).
    pub fn load(&self, definition: &WorkflowDefinition) -> Result<Workflow, LoadError> {
        loader::load(
            &self.registry,
            &self.limits.script,
            self.log_persistence_mode,
            &NoActivities,
            definition,
        )
    }

    /// Like [`Engine::load`], with workflows used as activities: a type the registry does not
    /// know is looked up with `resolver` and its definition inlined as a composite. The loaded
    /// workflow embeds the versions resolved now.
    pub fn load_with(
        &self,
        definition: &WorkflowDefinition,
        resolver: &dyn ActivityResolver,
    ) -> Result<Workflow, LoadError> {
        loader::load(
            &self.registry,
            &self.limits.script,
            self.log_persistence_mode,
            resolver,
            definition,
        )
    }

    /// Runs a new instance until it finishes, faults or suspends.
    pub fn start(
        &self,
        workflow: &Workflow,
        request: StartRequest,
        clock: &dyn Clock,
        ids: &dyn IdGenerator,
    ) -> RunResult {
        let mut execution = Execution::new(workflow, &self.limits, request, clock, ids);
        execution.start();
        state::run_result(execution)
    }

    /// Resumes a suspended instance from its persisted `state` through one of its bookmarks and
    /// runs it until it finishes, faults or suspends again. Contexts, variables, flowchart
    /// counters and completion callbacks come back from `state`, so resuming a state that went
    /// through JSON behaves exactly like resuming the one the previous run returned.
    pub fn resume(
        &self,
        workflow: &Workflow,
        state: &WorkflowState,
        request: ResumeRequest,
        clock: &dyn Clock,
        ids: &dyn IdGenerator,
    ) -> Result<RunResult, ResumeError> {
        let mut execution = resume::restore(workflow, &self.limits, state, clock, ids)?;
        execution.resume(&request.bookmark_id, request.input)?;
        Ok(state::run_result(execution))
    }

    /// Cancels a suspended instance: every running activity ends `Canceled`, its bookmarks
    /// are gone, and the workflow ends `Finished/Cancelled`.
    pub fn cancel(
        &self,
        workflow: &Workflow,
        state: &WorkflowState,
        clock: &dyn Clock,
        ids: &dyn IdGenerator,
    ) -> Result<RunResult, ResumeError> {
        let mut execution = resume::restore(workflow, &self.limits, state, clock, ids)?;
        execution.cancel_workflow();
        Ok(state::run_result(execution))
    }
}

impl Default for Engine {
    fn default() -> Self {
        Self::new(EngineOptions::default())
    }
}
