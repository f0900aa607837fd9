//! The Elsa 3 execution engine: reads Elsa workflow JSON and runs it, deterministically and
//! without I/O.
//!
//! # How a run works
//!
//! 1. **Load** ([`Engine::load`]): the definition's `root` JSON is wrapped in the implicit
//!    `Elsa.Workflow` activity (`Workflow1`, declaring the definition variables) and parsed into
//!    a [`Workflow`] — an arena of activity nodes. Each activity's `type` (full or short name) is
//!    looked up in the [`ActivityRegistry`], whose descriptors list the inputs (type, default,
//!    wrapped or raw), outputs and ports, and build the activity from its JSON. Wrapped inputs
//!    become expressions: literals are converted to the input type, JavaScript is compiled
//!    (syntax-checked), Liquid templates are parsed; types the engine does not evaluate
//!    (`CSharp`, `Python`) fault only when evaluated, as in Elsa. Outputs whose property names
//!    a variable (`memoryReference.id`) write that variable when set. Anything wrong is a
//!    [`LoadError`]; a loaded `Workflow` is immutable, `Send + Sync` and meant to be cached.
//!    With [`Engine::load_with`], a type the registry does not know is looked up through an
//!    [`ActivityResolver`]: a workflow definition with `options.usableAsActivity` is inlined
//!    as a composite node whose inputs are the child's workflow inputs, whose outputs its
//!    `SetOutput`s set and which `Complete` completes with its outcomes.
//! 2. **Run** ([`Engine::start`]): a run (Elsa's "burst") owns a FIFO queue of work items.
//!    It enqueues the workflow activity, then repeatedly dequeues an item, creates an activity
//!    execution context for it (declaring the activity's variables), journals `Started`,
//!    evaluates the wrapped inputs into the context's `activityState` and executes the activity.
//!    Activities act through their context: an action completes (`Done` or other outcomes); a
//!    container schedules children — queued with a completion callback to their owner — and
//!    completes from that callback (Sequence: next child; Flowchart: follow the connections
//!    whose port is an outcome, with implicit joins and dead-path skipping; If: one branch).
//!    Completing journals `Completed` with `{"Outcomes": [...]}` and calls the owner back
//!    synchronously. Flowchart targets with several inbound connections are joins. In the
//!    default counter-based mode `Elsa.FlowJoin` waits by its mode (`WaitAll`,
//!    `WaitAllActive`, `WaitAny` — which cancels the branches still running towards it), any
//!    other activity as an implicit `WaitAllActive`; in token-based mode
//!    ([`EngineOptions::flowchart_mode`], or per instance the run property
//!    [`FLOWCHART_MODE_PROPERTY`]) each target joins by its `mergeMode` custom property.
//!    Loops (`ForEach`, `For`, `While`, `ParallelForEach`) give each body execution its own
//!    iteration variables (`CurrentValue`, `CurrentIndex`), declared in the body's context.
//!    Signals travel up the context tree: `Break` is offered to each ancestor until a loop
//!    consumes it (sequences and forks stop as it passes); `Complete`/`Finish` complete the
//!    workflow itself, dropping queued work and cancelling what runs.
//! 3. **Faults**: an error in an activity or script (thrown error, time or memory limit,
//!    `Elsa.Fault`) never panics: the context becomes `Faulted`, an incident is recorded and —
//!    the default FaultStrategy — the workflow ends `Finished/Faulted`. With the definition's
//!    `options.incidentStrategyType` set to ContinueWithIncidents only the faulted branch stops
//!    and the workflow ends `Suspended`. A run past one of its budgets (activity executions,
//!    journal entries and bytes, activity records, state size: see [`EngineOptions`]) faults
//!    the instance whatever the strategy, with an incident naming the limit and its setting;
//!    what it journals stays within the budget.
//! 4. **Result** ([`RunResult`]): when the queue is empty the workflow is `Finished` if its
//!    root completed, else `Suspended`. The result carries Elsa's `WorkflowState` (root context
//!    with the persisted variables in `properties.Variables`), the journal records, one
//!    activity execution record per context (keeping the inputs and outputs its log
//!    persistence modes allow, see `log_persistence.rs`), the lines `WriteLine` produced, the workflow
//!    output (`SetOutput`) and the [`Effect`]s — requests for the runtime, since the engine
//!    itself does no I/O: log entries (`Log`), the HTTP response (`WriteHttpResponse`), HTTP
//!    requests (`SendHttpRequest`, `FlowSendHttpRequest`) and child workflows
//!    (`DispatchWorkflow`, `ExecuteWorkflow`). Where the activity needs the answer it waits on
//!    a bookmark named in the effect, and the runtime resumes it with the answer under a
//!    documented input key ([`HTTP_RESPONSE_INPUT`], [`CHILD_WORKFLOW_RESULT_INPUT`], ...).
//!    The caller performs and persists them.
//!
//! 5. **Suspend and resume**: a blocking activity (`Event`, `Delay`, `Timer`, `StartAt`,
//!    `Cron`, `HttpEndpoint`) creates bookmarks — a stimulus name, a payload and its hash
//!    ([`bookmark_hash`]) — and stays running; a trigger activity that started the run
//!    completes at once instead. [`Engine::resume`] rebuilds the run from the persisted
//!    `WorkflowState` (contexts with their properties, evaluated inputs and persisted
//!    variables; completion callbacks; bookmarks; incidents; output) and calls the bookmarked
//!    activity back; [`Engine::cancel`] cancels every running activity instead. The state is
//!    the only memory between runs: resuming one that went through JSON gives the same result.
//!
//! Time and ids come from the caller ([`Clock`], [`IdGenerator`]): with [`FixedClock`] and
//! [`SequentialIds`] a run is reproducible byte for byte (scripts' `newGuid()` derives from the
//! id generator too). JavaScript runs on a per-thread QuickJS runtime with time, memory and
//! stack limits (see [`EngineOptions`]); its realm is frozen, so no script's globals reach the
//! next workflow. Liquid templates render within limits of time, loop iterations, output and
//! value sizes (the `liquid_*` options).

mod activities;
mod activity_context;
mod bookmarks;
mod budget;
mod clock;
mod context;
mod cron;
mod effects;
mod engine;
mod error;
mod execution;
mod expressions;
mod json;
mod loader;
mod log_persistence;
mod registry;
mod resume;
mod scheduler;
mod state;
mod triggers;
mod values;
mod variables;
mod workflow;

pub use activities::http_endpoint::{access_of, endpoint_payload, normalize_route};
pub use activities::timing::{bookmark_due_at, parse_time_span};
pub use bookmarks::bookmark_hash;
pub use clock::{
    Clock, FixedClock, IdGenerator, RandomIds, SequentialIds, SystemClock, TimeOrderedIds,
};
pub use cron::CronExpression;
pub use effects::{
    CHILD_WORKFLOW_RESULT_INPUT, Effect, HTTP_FAILURE_INPUT, HTTP_FAULT_INPUT, HTTP_RESPONSE_INPUT,
    LogLevel, RUN_TASK_INPUT,
};
pub use engine::{
    DEFAULT_MAX_ACTIVITY_EXECUTIONS, DEFAULT_MAX_ACTIVITY_RECORDS_PER_RUN,
    DEFAULT_MAX_JOURNAL_BYTES_PER_RUN, DEFAULT_MAX_JOURNAL_ENTRIES_PER_RUN, DEFAULT_MAX_STATE_SIZE,
    Engine, EngineOptions, FLOWCHART_MODE_PROPERTY, FlowchartMode, ResumeError, ResumeRequest,
    RunResult, StartRequest,
};
pub use error::LoadError;
pub use loader::ActivityResolver;
pub use log_persistence::LogPersistenceMode;
pub use registry::{
    ActivityDescriptor, ActivityKind, ActivityRegistry, DefaultValue, InputDescriptor,
    OutputDescriptor, PortDescriptor, PortType,
};
pub use triggers::Trigger;
pub use workflow::Workflow;
