//! Drives the engine: keeps definitions and their versions, starts and resumes instances,
//! commits each run's outcome in one store transaction together with the work it causes, and
//! does that work — at once for a request, or later on the background worker (timers,
//! dispatch, retries).
//!
//! The runtime is where side effects happen on the engine's behalf (WriteLine output goes to
//! the console sink, HTTP requests are sent here), and where the engine's deterministic
//! inputs — clock and ids — are supplied. Runs execute on a fixed pool of engine threads.

mod activities;
mod cache;
mod changes;
mod cluster_secrets;
mod console;
mod definition_files;
mod definitions;
mod engine_pool;
mod error;
mod events;
mod execution;
mod gauges;
mod http_workflows;
mod instances;
mod leases;
mod lifecycle;
mod node_ids;
mod nodes;
mod outbound_http;
mod references;
mod retention;
mod schedule;
mod tokens;
mod triggers;
mod work;
mod worker;

pub use cluster_secrets::ClusterSecret;
pub use console::escape_controls;
pub use definition_files::{definition_input, parse_definition_file};
pub use definitions::SaveOutcome;
pub use error::RuntimeError;
pub use events::{EventDelivery, EventTarget};
pub use execution::{ExecuteOutcome, ExecuteRequest, InlineWorkflow, inline_content_key};
pub use http_workflows::{HttpOutcome, HttpRequest, WrittenResponse};
pub use instances::{ImportedInstance, ResolvedVariable};
pub use leases::generated_node_id;
pub use lifecycle::ImportOutcome;
pub use node_ids::{ActivityNode, activity_nodes};
pub use nodes::{HEARTBEAT, Lateness, NodeFigures, NodeReport, NodeState};
pub use retention::RetentionOptions;
pub use tokens::TokenPayload;
pub use triggers::ValidationError;

use cache::BoundedCache;
use elsa_engine::{Clock, Engine, IdGenerator};
use elsa_store::migrate::{self, Module};
use elsa_store::{
    Database, DbSettings, DefinitionStore, InstanceStore, NodeStore, SecretStore, SqliteSettings,
    TriggerStore, WorkStore,
};
use engine_pool::EnginePool;
use execution::Loaded;
use leases::Leases;
use outbound_http::OutboundHttp;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;
use triggers::RouteTable;

/// Where WriteLine text goes (the server's stdout; a buffer in tests).
pub type ConsoleSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The default of [`RuntimeOptions::max_uncommitted_run_memory`]: 64 MiB, the commits of
/// hundreds of ordinary runs (about 150 KB each); a runaway run at the default budgets weighs
/// more on its own, so while it commits no other run starts.
pub const DEFAULT_MAX_UNCOMMITTED_RUN_MEMORY: usize = 64 * 1024 * 1024;

/// How the runtime of one node runs work (`Elsa:Runtime:*`).
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// This node's name in the leases it takes (`POD_NAME`, `HOSTNAME`, or generated).
    pub node_id: String,
    /// Threads runs execute on.
    pub engine_threads: usize,
    /// Memory that finished runs may hold until their commits before no new run starts (see
    /// `engine_pool`).
    pub max_uncommitted_run_memory: usize,
    /// Work items the background worker has in hand at most.
    pub workers: usize,
    /// How long a node may hold a work item without renewing its lease; a node that dies
    /// loses its items after this long.
    pub lease: Duration,
    /// Attempts of a work item before it is dead-lettered.
    pub max_attempts: i32,
    /// Timeout of `SendHttpRequest` requests (.NET's `HttpClient` default: 100 s).
    pub http_timeout: Duration,
    /// Workflows loaded and kept ready to run, at most.
    pub workflow_cache_size: usize,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            node_id: leases::generated_node_id(),
            engine_threads: cores,
            max_uncommitted_run_memory: DEFAULT_MAX_UNCOMMITTED_RUN_MEMORY,
            workers: cores * 16,
            lease: Duration::from_secs(20),
            max_attempts: 10,
            http_timeout: outbound_http::DEFAULT_TIMEOUT,
            workflow_cache_size: 1_000,
        }
    }
}

/// The workflow runtime of one server process.
pub struct Runtime {
    engine: Arc<Engine>,
    definitions: DefinitionStore,
    instances: InstanceStore,
    secrets: SecretStore,
    trigger_index: TriggerStore,
    work: WorkStore,
    node_store: NodeStore,
    /// What this node has done since it started, for its heartbeat row.
    counters: nodes::NodeCounters,
    /// The Runtime module's database (a trigger's tick queues work there).
    runtime_db: Database,
    /// The Management module's database (its change sequence tells of other nodes' writes).
    management_db: Database,
    /// The token signing key, read from (or first stored in) `secrets` on first use.
    token_key: OnceLock<Vec<u8>>,
    clock: Arc<dyn Clock + Send + Sync>,
    ids: Arc<dyn IdGenerator + Send + Sync>,
    console: ConsoleSink,
    options: RuntimeOptions,
    /// Started on first use ([`Runtime::pool`]), with the options then set.
    pool: OnceLock<EnginePool>,
    /// Sends `SendHttpRequest` requests, built on first use ([`Runtime::http`]): its TLS root
    /// store is work and memory a node that sends no request never needs.
    http: OnceLock<Result<OutboundHttp, String>>,
    /// Work items this node is doing (their leases are renewed while it does).
    leases: Leases,
    /// Wakes the background worker: work was queued, or a worker slot came free.
    wake: Notify,
    /// Loaded workflows of published versions, by version id. Published versions never change
    /// (saving over one creates a new version), so entries never go stale.
    loaded: Mutex<BoundedCache<Loaded>>,
    /// Inline workflows run before, by the hash of their JSON as sent ([`inline_content_key`]):
    /// the id of their definition, so a repeated request runs its loaded workflow without the
    /// definition being parsed, serialised and hashed again.
    inline_ids: Mutex<BoundedCache<String>>,
    /// Elsa's `FailOnValidationErrors`: a publish with validation errors fails (else they
    /// come back as warnings).
    fail_on_validation_errors: bool,
    /// The HTTP route table (a cache of the trigger index, see `triggers`); async so that
    /// concurrent requests wait for one read instead of each doing their own.
    routes: tokio::sync::Mutex<Option<Arc<RouteTable>>>,
    /// Bumped whenever definitions are stored or deleted; a table read at an older one is
    /// read again.
    trigger_generation: AtomicU64,
}

impl Runtime {
    pub fn new(
        engine: Engine,
        management: Database,
        runtime: Database,
        clock: Arc<dyn Clock + Send + Sync>,
        ids: Arc<dyn IdGenerator + Send + Sync>,
        console: ConsoleSink,
    ) -> Self {
        let options = RuntimeOptions::default();
        Self {
            engine: Arc::new(engine),
            secrets: SecretStore::new(management.clone()),
            management_db: management.clone(),
            trigger_index: TriggerStore::new(management.clone()),
            definitions: DefinitionStore::new(management),
            instances: InstanceStore::new(runtime.clone()),
            work: WorkStore::new(runtime.clone()),
            node_store: NodeStore::new(runtime.clone()),
            counters: nodes::NodeCounters::default(),
            runtime_db: runtime,
            token_key: OnceLock::new(),
            clock,
            ids,
            console,
            pool: OnceLock::new(),
            http: OnceLock::new(),
            loaded: Mutex::new(BoundedCache::new(options.workflow_cache_size)),
            inline_ids: Mutex::new(BoundedCache::new(options.workflow_cache_size)),
            options,
            leases: Leases::default(),
            wake: Notify::new(),
            fail_on_validation_errors: true,
            routes: tokio::sync::Mutex::new(None),
            trigger_generation: AtomicU64::new(0),
        }
    }

    /// Elsa's `FailOnValidationErrors` (default `true`): with `false`, publishing succeeds
    /// despite validation errors and returns them as warnings.
    pub fn with_fail_on_validation_errors(mut self, fail: bool) -> Self {
        self.fail_on_validation_errors = fail;
        self
    }

    /// How this node runs work. The engine's own limits come with the [`Engine`].
    pub fn with_options(mut self, options: RuntimeOptions) -> Self {
        self.loaded = Mutex::new(BoundedCache::new(options.workflow_cache_size));
        self.inline_ids = Mutex::new(BoundedCache::new(options.workflow_cache_size));
        self.options = options;
        self
    }

    /// The engine threads, started by the first run or load: a node that only serves reads
    /// keeps none.
    fn pool(&self) -> &EnginePool {
        self.pool.get_or_init(|| {
            EnginePool::new(
                self.options.engine_threads,
                self.options.max_uncommitted_run_memory,
            )
        })
    }

    /// The `SendHttpRequest` client; its TLS setup failing is reported by each request.
    fn http(&self) -> Result<&OutboundHttp, RuntimeError> {
        self.http
            .get_or_init(|| {
                OutboundHttp::new(self.options.http_timeout).map_err(|error| error.to_string())
            })
            .as_ref()
            .map_err(|e| RuntimeError::HttpClient(e.clone()))
    }

    /// The engine, for its activity registry.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// This node's id.
    pub fn node_id(&self) -> &str {
        &self.options.node_id
    }

    /// A throwaway runtime on a private in-memory SQLite database, migrated and empty: for the
    /// `run` command and the conformance runner, which must take the same path as the API.
    pub async fn in_memory(
        engine: Engine,
        clock: Arc<dyn Clock + Send + Sync>,
        ids: Arc<dyn IdGenerator + Send + Sync>,
        console: ConsoleSink,
    ) -> Result<Self, RuntimeError> {
        let settings = DbSettings::Sqlite(SqliteSettings {
            filename: ":memory:".into(),
            ..Default::default()
        });
        let db = Database::connect(&settings).await?;
        for module in Module::ALL {
            migrate::migrate(&settings, &db, module, &mut |_| {}).await?;
        }
        Ok(Self::new(engine, db.clone(), db, clock, ids, console))
    }

    /// A new id from the runtime's generator (for an instance a request announces before it
    /// runs).
    pub fn new_id(&self) -> String {
        self.ids.new_id()
    }

    /// Read access to stored definitions.
    pub fn definitions(&self) -> &DefinitionStore {
        &self.definitions
    }

    /// Read access to stored instances.
    pub fn instances(&self) -> &InstanceStore {
        &self.instances
    }

    /// Read access to the work queue.
    pub fn work(&self) -> &WorkStore {
        &self.work
    }
}
