//! Drives the engine: keeps definitions and their versions, starts instances, and commits each
//! run's outcome in one store transaction.
//!
//! The runtime is where side effects happen on the engine's behalf (WriteLine output goes to
//! the console sink here), and where the engine's deterministic inputs — clock and ids — are
//! supplied.

mod activities;
mod definition_files;
mod definitions;
mod error;
mod events;
mod execution;
mod http_workflows;
mod instances;
mod lifecycle;
mod node_ids;
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "the durable work queue will send requests through it"
    )
)]
mod outbound_http;
mod references;
mod tokens;
mod triggers;

pub use definition_files::{definition_input, parse_definition_file};
pub use definitions::SaveOutcome;
pub use error::RuntimeError;
pub use events::EventTarget;
pub use execution::{ExecuteOutcome, ExecuteRequest};
pub use http_workflows::{HttpOutcome, HttpRequest, WrittenResponse};
pub use instances::ResolvedVariable;
pub use lifecycle::ImportOutcome;
pub use node_ids::{ActivityNode, activity_nodes};
pub use tokens::TokenPayload;
pub use triggers::ValidationError;

use elsa_engine::{Clock, Engine, IdGenerator};
use elsa_store::migrate::{self, Module};
use elsa_store::{
    Database, DbSettings, DefinitionStore, InstanceStore, SecretStore, SqliteSettings,
};
use execution::Loaded;
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock};
use triggers::RouteTable;

/// Where WriteLine text goes (the server's stdout; a buffer in tests).
pub type ConsoleSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The workflow runtime of one server process.
pub struct Runtime {
    engine: Engine,
    definitions: DefinitionStore,
    instances: InstanceStore,
    secrets: SecretStore,
    /// The token signing key, read from (or first stored in) `secrets` on first use.
    token_key: OnceLock<Vec<u8>>,
    clock: Arc<dyn Clock + Send + Sync>,
    ids: Arc<dyn IdGenerator + Send + Sync>,
    console: ConsoleSink,
    /// Loaded workflows of published versions, by version id. Published versions never change
    /// (saving over one creates a new version), so entries never go stale.
    loaded: Mutex<HashMap<String, Loaded>>,
    /// Elsa's `FailOnValidationErrors`: a publish with validation errors fails (else they
    /// come back as warnings).
    fail_on_validation_errors: bool,
    /// The HTTP route table (a cache of the published definitions, see `triggers`); async so
    /// that concurrent requests wait for one rebuild instead of each doing their own.
    routes: tokio::sync::Mutex<Option<Arc<RouteTable>>>,
    /// Bumped whenever a definition is stored; a table built at an older one is rebuilt.
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
        Self {
            engine,
            secrets: SecretStore::new(management.clone()),
            definitions: DefinitionStore::new(management),
            instances: InstanceStore::new(runtime),
            token_key: OnceLock::new(),
            clock,
            ids,
            console,
            loaded: Mutex::new(HashMap::new()),
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

    /// The engine, for its activity registry.
    pub fn engine(&self) -> &Engine {
        &self.engine
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
}
