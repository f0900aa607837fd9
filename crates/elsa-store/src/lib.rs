//! Persistence: the stores elsa-rs needs, on SQLite and on PostgreSQL.
//!
//! One code path serves both databases: SQL is written once with `$n` placeholders and run
//! through [`with_pool!`], which compiles the same body for each backend. Documents Elsa keeps
//! as JSON (definitions, workflow state) live in a `data` column beside the indexed columns the
//! API filters and sorts on.

mod api_keys;
pub mod commit;
pub mod connection_string;
pub mod definitions;
mod encoding;
mod error;
mod failover;
pub mod identity;
pub mod instances;
pub mod migrate;
mod nodes;
mod notify;
pub mod pool;
mod query;
pub mod records;
mod secrets;
pub mod settings;
#[cfg(feature = "testing")]
pub mod testing;
pub mod triggers;
pub mod work;

pub use api_keys::ApiKeyStore;
pub use commit::{InstanceChange, InstanceCommit};
pub use definitions::{DefinitionFilter, DefinitionOrder, DefinitionStore};
pub use error::{Result, StoreError};
pub use identity::{Application, IdentityStore, Role, User};
pub use instances::{
    InstanceFilter, InstanceOrder, InstanceStore, StoredBookmark, TimestampColumn, TimestampFilter,
    TimestampOperator,
};
pub use migrate::Module;
pub use nodes::{NodeRow, NodeStore};
pub use notify::{CHANGES_CHANNEL, Heard, Notifications, WORK_CHANNEL};
pub use pool::Database;
pub use query::{Page, PageRequest};
pub use records::{ActivityRecordFilter, JournalFilter};
pub use secrets::SecretStore;
pub use settings::{
    DbSettings, PgSettings, Provider, SqliteMode, SqliteSettings, SqliteSync, SslMode,
    TargetSession,
};
pub use triggers::{StoredTrigger, TriggerStore};
pub use work::{
    Claimed, Fence, Lease, NewWork, QueueDepth, WorkFilter, WorkItem, WorkStatus, WorkStore,
};
