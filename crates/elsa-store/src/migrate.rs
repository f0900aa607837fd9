//! Schema migrations, per module, each with its own EF-Core-style history table
//! (`"MigrationId"`, `"ProductVersion"`), so the guide's
//! `SELECT * FROM "__EFMigrationsHistory_Management";` shows what ran.
//!
//! On PostgreSQL the migrator takes a session advisory lock on a **dedicated** connection, never
//! a pooled one: if a migration fails, dropping that connection releases the lock, where a pooled
//! connection would keep it and block every later migrator. Concurrent migrators therefore run
//! one after another, and each re-reads the history under the lock, so every migration is
//! applied exactly once.

use crate::pool::{Database, pg_options};
use crate::settings::DbSettings;
use crate::{Result, StoreError, with_pool};
use sqlx::{AssertSqlSafe, Connection};

/// The two Elsa persistence modules; each has its own provider, connection and migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Module {
    Management,
    Runtime,
}

impl Module {
    pub const ALL: [Module; 2] = [Module::Management, Module::Runtime];

    pub fn name(self) -> &'static str {
        match self {
            Self::Management => "Management",
            Self::Runtime => "Runtime",
        }
    }

    pub fn history_table(self) -> &'static str {
        match self {
            Self::Management => "__EFMigrationsHistory_Management",
            Self::Runtime => "__EFMigrationsHistory_Runtime",
        }
    }

    fn migrations(self, postgres: bool) -> &'static [Migration] {
        match (self, postgres) {
            (Self::Management, true) => PG_MANAGEMENT,
            (Self::Runtime, true) => PG_RUNTIME,
            (Self::Management, false) => SQLITE_MANAGEMENT,
            (Self::Runtime, false) => SQLITE_RUNTIME,
        }
    }
}

impl std::str::FromStr for Module {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Module::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown module '{s}'; use management or runtime"))
    }
}

struct Migration {
    id: &'static str,
    sql: &'static str,
}

macro_rules! migrations {
    ($dir:literal: $($id:literal),* $(,)?) => {
        &[$(Migration { id: $id, sql: include_str!(concat!("../migrations/", $dir, "/", $id, ".sql")) }),*]
    };
}

static PG_MANAGEMENT: &[Migration] = migrations!(
    "postgres/management": "20261128000000_InitialCreate",
    "20261128100000_AddIdentity",
    "20261128120000_ServerSecrets",
    "20261203000000_AddTriggers",
    "20261204000000_AddChangeSequence",
);
static PG_RUNTIME: &[Migration] = migrations!(
    "postgres/runtime": "20261128000000_InitialCreate",
    "20261203000000_AddWorkQueue",
    "20261204000000_AddNodes",
    "20261205000000_CompactRunRecords",
    "20261205000100_NodeTags",
);
static SQLITE_MANAGEMENT: &[Migration] = migrations!(
    "sqlite/management": "20261128000000_InitialCreate",
    "20261128100000_AddIdentity",
    "20261128120000_ServerSecrets",
    "20261203000000_AddTriggers",
    "20261204000000_AddChangeSequence",
);
static SQLITE_RUNTIME: &[Migration] = migrations!(
    "sqlite/runtime": "20261128000000_InitialCreate",
    "20261203000000_AddWorkQueue",
    "20261204000000_AddNodes",
    "20261205000000_CompactRunRecords",
    "20261205000100_NodeTags",
);

/// Written to `"ProductVersion"`, as EF Core writes its own version there.
const PRODUCT_VERSION: &str = concat!("elsa-rs ", env!("CARGO_PKG_VERSION"));

/// Key of the advisory lock every elsa-rs migrator takes on PostgreSQL.
const MIGRATION_LOCK_KEY: i64 = 0x656c_7361_6d69_6772; // "elsamigr"

/// The ids recorded in `module`'s history table. A macro rather than a generic function: the
/// sqlx executor bounds of a generic version make the calling futures lose `Send`.
macro_rules! applied_ids {
    ($executor:expr, $module:expr) => {{
        let sql = format!(r#"SELECT "MigrationId" FROM "{}""#, $module.history_table());
        let ids: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_all($executor)
            .await?;
        ids
    }};
}

/// Runs one migration and records it in the history table, on the given connection.
macro_rules! run_migration {
    ($conn:expr, $module:expr, $m:expr) => {{
        let fail = |source| StoreError::Migration {
            id: $m.id.to_string(),
            source,
        };
        sqlx::raw_sql($m.sql)
            .execute(&mut *$conn)
            .await
            .map_err(fail)?;
        sqlx::query(AssertSqlSafe(insert_history_sql($module)))
            .bind($m.id)
            .bind(PRODUCT_VERSION)
            .execute(&mut *$conn)
            .await
            .map_err(fail)?;
    }};
}

/// Migrations of `module` not yet recorded in its history table. Needs only SELECT rights,
/// so a server running as a DML-only user can tell that the schema is behind.
pub async fn pending(db: &Database, module: Module) -> Result<Vec<&'static str>> {
    let postgres = matches!(db, Database::Postgres(_));
    let applied = with_pool!(db, read, |p| {
        let exists_sql = if postgres {
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        } else {
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1"
        };
        let exists = sqlx::query(exists_sql)
            .bind(module.history_table())
            .fetch_optional(p)
            .await?
            .is_some();
        if exists {
            applied_ids!(p, module)
        } else {
            Vec::new()
        }
    });
    Ok(module
        .migrations(postgres)
        .iter()
        .map(|m| m.id)
        .filter(|id| !applied.iter().any(|a| a == id))
        .collect())
}

/// Applies the pending migrations of `module`, calling `on_apply` with each id before it runs.
/// Returns the ids applied (empty when the schema was current).
pub async fn migrate(
    settings: &DbSettings,
    db: &Database,
    module: Module,
    on_apply: &mut (dyn FnMut(&str) + Send),
) -> Result<Vec<&'static str>> {
    migrate_to(settings, db, module, None, on_apply).await
}

/// [`migrate`], stopping after the migration `last` when given: a database of an earlier
/// schema, as an earlier server left it (the tests of a migration start from one).
pub async fn migrate_to(
    settings: &DbSettings,
    db: &Database,
    module: Module,
    last: Option<&str>,
    on_apply: &mut (dyn FnMut(&str) + Send),
) -> Result<Vec<&'static str>> {
    let wanted = |id: &str| last.is_none_or(|last| id <= last);
    match settings {
        DbSettings::PostgreSql(pg) => {
            let mut conn = sqlx::PgConnection::connect_with(&pg_options(pg)).await?;
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(MIGRATION_LOCK_KEY)
                .execute(&mut conn)
                .await?;
            let result = apply_pg(&mut conn, module, &wanted, on_apply).await;
            // Closing the session releases the lock even when a migration failed.
            let _ = conn.close().await;
            result
        }
        DbSettings::Sqlite(_) => {
            let Database::Sqlite { write, .. } = db else {
                unreachable!("SQLite settings always open a SQLite database")
            };
            apply_sqlite(write, module, &wanted, on_apply).await
        }
    }
}

fn create_history_sql(module: Module) -> String {
    format!(
        r#"CREATE TABLE IF NOT EXISTS "{}" ("MigrationId" VARCHAR(150) NOT NULL PRIMARY KEY, "ProductVersion" VARCHAR(32) NOT NULL)"#,
        module.history_table()
    )
}

fn insert_history_sql(module: Module) -> String {
    format!(
        r#"INSERT INTO "{}" ("MigrationId", "ProductVersion") VALUES ($1, $2)"#,
        module.history_table()
    )
}

async fn apply_pg(
    conn: &mut sqlx::PgConnection,
    module: Module,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    on_apply: &mut (dyn FnMut(&str) + Send),
) -> Result<Vec<&'static str>> {
    sqlx::raw_sql(AssertSqlSafe(create_history_sql(module)))
        .execute(&mut *conn)
        .await?;
    let applied = applied_ids!(&mut *conn, module);
    let mut done = Vec::new();
    for m in module.migrations(true) {
        if applied.iter().any(|a| a == m.id) || !wanted(m.id) {
            continue;
        }
        on_apply(m.id);
        let mut tx = conn.begin().await?;
        run_migration!(tx, module, m);
        tx.commit().await?;
        done.push(m.id);
    }
    Ok(done)
}

async fn apply_sqlite(
    pool: &sqlx::SqlitePool,
    module: Module,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    on_apply: &mut (dyn FnMut(&str) + Send),
) -> Result<Vec<&'static str>> {
    // BEGIN IMMEDIATE takes SQLite's write lock up front: two processes migrating one file run
    // one after the other, and the second sees the first one's history.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::raw_sql(AssertSqlSafe(create_history_sql(module)))
        .execute(&mut *tx)
        .await?;
    let applied = applied_ids!(&mut *tx, module);
    let mut done = Vec::new();
    for m in module.migrations(false) {
        if applied.iter().any(|a| a == m.id) || !wanted(m.id) {
            continue;
        }
        on_apply(m.id);
        run_migration!(tx, module, m);
        done.push(m.id);
    }
    tx.commit().await?;
    Ok(done)
}

/// Fails with [`StoreError::SchemaBehind`] when `module` has pending migrations.
pub async fn ensure_current(db: &Database, module: Module) -> Result<()> {
    let pending = pending(db, module).await?.len();
    if pending > 0 {
        return Err(StoreError::SchemaBehind {
            module: module.name(),
            pending,
        });
    }
    Ok(())
}
