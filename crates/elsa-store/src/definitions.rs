//! Workflow definitions (module Management): every version of every definition.

use crate::commit::ROWS_PER_INSERT;
use crate::query::{Arg, Conditions, ListQuery, Page, PageRequest, contains_pattern};
use crate::triggers::{self, StoredTrigger};
use crate::{Database, Result, with_pool};
use elsa_model::{Timestamp, VersionOptions, WorkflowDefinition};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, QueryBuilder};
use std::collections::HashMap;

/// Filters of the definition list (`GET /workflow-definitions`).
#[derive(Debug, Clone, Default)]
pub struct DefinitionFilter {
    pub version_options: Option<VersionOptions>,
    pub definition_ids: Option<Vec<String>>,
    pub ids: Option<Vec<String>>,
    pub search_term: Option<String>,
    pub is_system: Option<bool>,
    pub order_by: DefinitionOrder,
    pub descending: bool,
    pub page: Option<PageRequest>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DefinitionOrder {
    #[default]
    Name,
    Created,
    Version,
}

/// Stores definitions. Versioning rules (which version is latest or published) belong to the
/// runtime; this store writes what it is given, several versions in one transaction.
#[derive(Clone, Debug)]
pub struct DefinitionStore {
    db: Database,
}

const COLUMNS: &str = "id, definition_id, version, name, description, is_latest, is_published, is_readonly, is_system, tool_version, materializer_name, created_at, data";

/// Moves the definitions' change sequence on in an open transaction; on PostgreSQL also
/// notifies the nodes listening on [`crate::CHANGES_CHANNEL`] (delivered at commit).
macro_rules! definitions_changed {
    ($tx:expr, $db:expr) => {
        sqlx::query(
            "UPDATE \"Elsa_Changes\" SET sequence = sequence + 1 WHERE name = 'definitions'",
        )
        .execute(&mut *$tx)
        .await?;
        if matches!($db, Database::Postgres(_)) {
            sqlx::query("SELECT pg_notify($1, 'definitions')")
                .bind($crate::CHANGES_CHANNEL)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

impl DefinitionStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The definitions' change sequence: it moves on with every write of definitions, on any
    /// node, so a node that saw another value has stale caches.
    pub async fn change_sequence(&self) -> Result<i64> {
        Ok(with_pool!(&self.db, read, |p| {
            sqlx::query_scalar("SELECT sequence FROM \"Elsa_Changes\" WHERE name = 'definitions'")
                .fetch_one(p)
                .await?
        }))
    }

    /// Inserts or replaces the given versions atomically, with their triggers. The flags of the
    /// stored rows are cleared first, so the "one latest, one published per definition" indexes
    /// hold at every statement whatever order the versions come in; a save that would leave two
    /// latest or two published versions fails as a whole.
    ///
    /// `triggers` is the complete trigger set of the *published* versions among `versions`:
    /// every other stored trigger of these versions goes. A trigger stored before (same id)
    /// keeps its schedule, so re-saving a version never moves its next tick.
    pub async fn save(
        &self,
        versions: &[WorkflowDefinition],
        triggers: &[StoredTrigger],
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO \"Elsa_WorkflowDefinitions\" ({COLUMNS}, triggers_indexed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, name = excluded.name, description = excluded.description, \
             is_latest = excluded.is_latest, is_published = excluded.is_published, is_readonly = excluded.is_readonly, \
             is_system = excluded.is_system, tool_version = excluded.tool_version, data = excluded.data, \
             triggers_indexed = excluded.triggers_indexed"
        );
        let ids: Vec<String> = versions.iter().map(|d| d.id.clone()).collect();
        with_pool!(&self.db, write, |p| {
            let mut tx = p.begin().await?;
            let mut scheduled: HashMap<String, Option<Timestamp>> = HashMap::new();
            for chunk in ids.chunks(ROWS_PER_INSERT) {
                let mut q = QueryBuilder::new(
                    "SELECT id, next_fire_at FROM \"Elsa_Triggers\" WHERE definition_version_id IN (",
                );
                push_list(&mut q, chunk);
                let rows: Vec<(String, Option<Timestamp>)> =
                    q.build_query_as().fetch_all(&mut *tx).await?;
                scheduled.extend(rows);
                let mut q = QueryBuilder::new(
                    "DELETE FROM \"Elsa_Triggers\" WHERE definition_version_id IN (",
                );
                push_list(&mut q, chunk);
                q.build().execute(&mut *tx).await?;
            }
            for d in versions {
                sqlx::query("UPDATE \"Elsa_WorkflowDefinitions\" SET is_latest = $1, is_published = $1 WHERE id = $2")
                    .bind(false)
                    .bind(&d.id)
                    .execute(&mut *tx)
                    .await?;
            }
            for d in versions {
                sqlx::query(AssertSqlSafe(sql.as_str()))
                    .bind(&d.id)
                    .bind(&d.definition_id)
                    .bind(d.version)
                    .bind(&d.name)
                    .bind(&d.description)
                    .bind(d.is_latest)
                    .bind(d.is_published)
                    .bind(d.is_readonly)
                    .bind(d.is_system)
                    .bind(&d.tool_version)
                    .bind("Json")
                    .bind(d.created_at)
                    .bind(Json(d))
                    .bind(d.is_published)
                    .execute(&mut *tx)
                    .await?;
            }
            for chunk in triggers.chunks(ROWS_PER_INSERT) {
                let mut q = QueryBuilder::new(format!(
                    "INSERT INTO \"Elsa_Triggers\" ({}) ",
                    triggers::COLUMNS
                ));
                q.push_values(chunk, |mut row, t| {
                    let next = scheduled.get(&t.id).copied().unwrap_or(t.next_fire_at);
                    row.push_bind(t.id.clone())
                        .push_bind(t.definition_id.clone())
                        .push_bind(t.definition_version_id.clone())
                        .push_bind(t.name.clone())
                        .push_bind(t.activity_id.clone())
                        .push_bind(t.hash.clone())
                        .push_bind(Json(t.payload.clone()))
                        .push_bind(next);
                });
                q.build().execute(&mut *tx).await?;
            }
            definitions_changed!(tx, &self.db);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Published versions whose triggers were never indexed (stored before the index existed).
    pub async fn unindexed(&self) -> Result<Vec<WorkflowDefinition>> {
        let rows: Vec<(Json<WorkflowDefinition>,)> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(
                "SELECT data FROM \"Elsa_WorkflowDefinitions\" WHERE is_published = $1 AND triggers_indexed = $2",
            )
            .bind(true)
            .bind(false)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(|(Json(d),)| d).collect())
    }

    /// One version by its id.
    pub async fn get(&self, id: &str) -> Result<Option<WorkflowDefinition>> {
        let row: Option<(Json<WorkflowDefinition>,)> = with_pool!(&self.db, read, |p| {
            sqlx::query_as("SELECT data FROM \"Elsa_WorkflowDefinitions\" WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(|(Json(d),)| d))
    }

    /// The highest version of `definition_id` that `options` selects.
    pub async fn find(
        &self,
        definition_id: &str,
        options: VersionOptions,
    ) -> Result<Option<WorkflowDefinition>> {
        let page = self
            .list(&DefinitionFilter {
                version_options: Some(options),
                definition_ids: Some(vec![definition_id.to_string()]),
                order_by: DefinitionOrder::Version,
                descending: true,
                page: Some(PageRequest {
                    page: 0,
                    page_size: 1,
                }),
                ..Default::default()
            })
            .await?;
        Ok(page.items.into_iter().next())
    }

    /// Every version of a definition, highest first.
    pub async fn versions(&self, definition_id: &str) -> Result<Vec<WorkflowDefinition>> {
        Ok(self
            .list(&DefinitionFilter {
                version_options: Some(VersionOptions::AllVersions),
                definition_ids: Some(vec![definition_id.to_string()]),
                order_by: DefinitionOrder::Version,
                descending: true,
                ..Default::default()
            })
            .await?
            .items)
    }

    pub async fn list(&self, filter: &DefinitionFilter) -> Result<Page<WorkflowDefinition>> {
        let (rows, total): (Vec<(Json<WorkflowDefinition>,)>, i64) = ListQuery {
            table: "Elsa_WorkflowDefinitions",
            columns: "data",
            conditions: conditions(filter),
            order_by: match filter.order_by {
                DefinitionOrder::Name => "name",
                DefinitionOrder::Created => "created_at",
                DefinitionOrder::Version => "version",
            },
            descending: filter.descending,
            page: filter.page,
        }
        .fetch(&self.db)
        .await?;
        Ok(Page {
            items: rows.into_iter().map(|(Json(d),)| d).collect(),
            total_count: total,
        })
    }

    /// How many distinct definitions exist (every version of one counts once).
    pub async fn count_definitions(&self) -> Result<i64> {
        let (n,): (i64,) = with_pool!(&self.db, read, |p| {
            sqlx::query_as("SELECT COUNT(DISTINCT definition_id) FROM \"Elsa_WorkflowDefinitions\"")
                .fetch_one(p)
                .await?
        });
        Ok(n)
    }

    /// Whether no definition other than `definition_id` has a version called `name`.
    pub async fn is_name_unique(&self, name: &str, definition_id: Option<&str>) -> Result<bool> {
        let (n,): (i64,) = with_pool!(&self.db, read, |p| {
            sqlx::query_as(
                "SELECT COUNT(*) FROM \"Elsa_WorkflowDefinitions\" WHERE name = $1 AND definition_id <> $2",
            )
            .bind(name)
            .bind(definition_id.unwrap_or_default())
            .fetch_one(p)
            .await?
        });
        Ok(n == 0)
    }

    /// Deletes the given versions with their triggers; returns how many rows went.
    pub async fn delete_versions(&self, ids: &[String]) -> Result<u64> {
        let done = with_pool!(&self.db, write, |p| {
            let mut tx = p.begin().await?;
            let mut n = 0;
            for id in ids {
                sqlx::query("DELETE FROM \"Elsa_Triggers\" WHERE definition_version_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                n += sqlx::query("DELETE FROM \"Elsa_WorkflowDefinitions\" WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            definitions_changed!(tx, &self.db);
            tx.commit().await?;
            n
        });
        Ok(done)
    }

    /// Deletes every version of a definition with its triggers; returns how many rows went.
    pub async fn delete_definition(&self, definition_id: &str) -> Result<u64> {
        let done = with_pool!(&self.db, write, |p| {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM \"Elsa_Triggers\" WHERE definition_id = $1")
                .bind(definition_id)
                .execute(&mut *tx)
                .await?;
            let n =
                sqlx::query("DELETE FROM \"Elsa_WorkflowDefinitions\" WHERE definition_id = $1")
                    .bind(definition_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            definitions_changed!(tx, &self.db);
            tx.commit().await?;
            n
        });
        Ok(done)
    }
}

fn conditions(f: &DefinitionFilter) -> Conditions {
    let mut c = Conditions::default();
    match f.version_options.unwrap_or(VersionOptions::AllVersions) {
        VersionOptions::Latest => c.push("is_latest = ?", [Arg::Bool(true)]),
        VersionOptions::Published => c.push("is_published = ?", [Arg::Bool(true)]),
        VersionOptions::LatestOrPublished => c.push(
            "(is_latest = ? OR is_published = ?)",
            [Arg::Bool(true), Arg::Bool(true)],
        ),
        VersionOptions::LatestAndPublished => c.push(
            "(is_latest = ? AND is_published = ?)",
            [Arg::Bool(true), Arg::Bool(true)],
        ),
        VersionOptions::Draft => c.push("is_published = ?", [Arg::Bool(false)]),
        VersionOptions::AllVersions => {}
        VersionOptions::Specific(v) => c.push("version = ?", [Arg::Int(v.into())]),
    }
    if let Some(ids) = &f.definition_ids {
        c.push_in("definition_id", ids);
    }
    if let Some(ids) = &f.ids {
        c.push_in("id", ids);
    }
    if let Some(system) = f.is_system {
        c.push("is_system = ?", [Arg::Bool(system)]);
    }
    if let Some(term) = f
        .search_term
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = contains_pattern(term);
        c.push(
            "(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(description) LIKE ? ESCAPE '\\' OR LOWER(id) LIKE ? ESCAPE '\\' OR LOWER(definition_id) LIKE ? ESCAPE '\\')",
            std::iter::repeat_n(Arg::Text(pattern), 4),
        );
    }
    c
}

/// `$a, $b, ...)`: the rest of an `IN (` list.
fn push_list<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, ids: &[String])
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(id.clone());
    }
    q.push(")");
}
