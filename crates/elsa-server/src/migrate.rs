//! `elsa-server migrate`: what the guide's migration Job runs, from the same image.

use crate::databases::ModuleDatabases;
use elsa_store::{Module, migrate};

/// Applies (or, with `check`, lists) pending migrations. Returns the process exit code.
pub async fn run(
    databases: &ModuleDatabases,
    only: Option<Module>,
    check: bool,
) -> anyhow::Result<i32> {
    let mut pending_total = 0;
    for (module, settings, db) in &databases.modules {
        if only.is_some_and(|m| m != *module) {
            continue;
        }
        if check {
            let pending = migrate::pending(db, *module).await?;
            for id in &pending {
                println!("Pending migration '{id}' ({})", module.name());
            }
            pending_total += pending.len();
            continue;
        }
        migrate::migrate(settings, db, *module, &mut |id| {
            println!("Applying migration '{id}'")
        })
        .await?;
    }
    if check {
        if pending_total == 0 {
            println!("The schema is current.");
            return Ok(0);
        }
        return Ok(1);
    }
    println!("Done.");
    Ok(0)
}
