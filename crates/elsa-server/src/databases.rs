//! Opening the two modules' databases. Modules configured with the same connection share one
//! `Database`: for SQLite that keeps a single writer per file.

use crate::config::ServerSettings;
use elsa_store::{Database, DbSettings, Module, Result};

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

    pub async fn close(&self) {
        for (_, _, db) in &self.modules {
            db.close().await;
        }
    }
}
