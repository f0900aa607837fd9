//! Opening the two modules' databases. Modules configured with the same connection share one
//! `Database`: for SQLite that keeps a single writer per file.

use crate::config::ServerSettings;
use elsa_store::{Database, DbSettings, Module, Result, SqliteMode};

/// Each module with its settings and open database.
pub struct ModuleDatabases {
    pub modules: Vec<(Module, DbSettings, Database)>,
}

impl ModuleDatabases {
    pub async fn open(settings: &ServerSettings) -> Result<Self> {
        let mut modules: Vec<(Module, DbSettings, Database)> = Vec::new();
        for (module, configured) in [
            (Module::Management, &settings.management),
            (Module::Runtime, &settings.runtime),
        ] {
            let db = match modules.iter().find(|(_, s, _)| *s == configured.db) {
                Some((_, _, shared)) => shared.clone(),
                None => Database::connect(&configured.db).await?,
            };
            modules.push((module, configured.db.clone(), db));
        }
        Ok(Self { modules })
    }

    pub fn get(&self, module: Module) -> &Database {
        &self
            .modules
            .iter()
            .find(|(m, _, _)| *m == module)
            .expect("both modules are opened")
            .2
    }

    /// Locks each SQLite file the modules use for as long as the returned files stay open, or
    /// says which one another process holds: SQLite is single-node (one writer per file, and
    /// the work queue's leases assume one process), so a second server on the same file must
    /// not start. The lock is advisory (`flock`), separate from SQLite's own locks, and goes
    /// away with the process however it ends.
    pub fn lock_sqlite_files(&self) -> anyhow::Result<Vec<std::fs::File>> {
        let mut held: Vec<(String, std::fs::File)> = Vec::new();
        for (_, settings, _) in &self.modules {
            let DbSettings::Sqlite(sqlite) = settings else {
                continue;
            };
            if sqlite.filename == ":memory:" || sqlite.mode == SqliteMode::Memory {
                continue;
            }
            let path = std::fs::canonicalize(&sqlite.filename)
                .unwrap_or_else(|_| sqlite.filename.clone().into())
                .display()
                .to_string();
            if held.iter().any(|(p, _)| *p == path) {
                continue;
            }
            let file = std::fs::File::open(&path)
                .map_err(|e| anyhow::anyhow!("cannot open the SQLite database {path}: {e}"))?;
            match file.try_lock() {
                Ok(()) => held.push((path, file)),
                Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                    "another elsa-server process is using the SQLite database {path}; SQLite is single-node: one server per database file. To run several nodes, use PostgreSQL: set ConnectionStrings__PostgreSql and Elsa__Persistence__Provider=PostgreSql (see the guide's Option A)"
                ),
                Err(std::fs::TryLockError::Error(e)) => {
                    anyhow::bail!("cannot lock the SQLite database {path}: {e}")
                }
            }
        }
        Ok(held.into_iter().map(|(_, file)| file).collect())
    }

    pub async fn close(&self) {
        for (_, _, db) in &self.modules {
            db.close().await;
        }
    }
}
