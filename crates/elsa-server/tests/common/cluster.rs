//! One server's database, SQLite or PostgreSQL, and what a test reads from it directly; a
//! scenario written against a [`Cluster`] runs on both (`on_both_databases!`).

use super::{API_KEY, Server};
use elsa_store::testing::TestPg;

/// Where a scenario's data lives: a SQLite file in the server's directory, or a fresh
/// PostgreSQL database.
pub enum Backend {
    Sqlite,
    Postgres(Box<TestPg>),
}

/// A backend, the directory its servers run in, and the environment they share.
pub struct Cluster {
    backend: Backend,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Cluster {
    pub async fn new(postgres: bool) -> Self {
        let backend = if postgres {
            Backend::Postgres(Box::new(TestPg::new().await))
        } else {
            Backend::Sqlite
        };
        let mut env = vec![
            ("Elsa__Identity__ApiKey".to_owned(), API_KEY.to_owned()),
            // A restarted node takes its own leases back at once.
            ("Elsa__Runtime__NodeId".to_owned(), "node-a".to_owned()),
        ];
        if let Backend::Postgres(pg) = &backend {
            env.push((
                "ConnectionStrings__PostgreSql".into(),
                pg.connection_string(),
            ));
            env.push(("Elsa__AutoMigrate".into(), "true".into()));
        }
        Self {
            backend,
            dir: tempfile::tempdir().unwrap(),
            env,
        }
    }

    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub async fn start(&self) -> Server {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let server = Server::start(self.dir.path(), &env);
        server.wait_ready().await;
        server
    }

    /// `SELECT COUNT(*) FROM {from}`, read straight from the database.
    pub async fn count(&self, from: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {from}");
        match &self.backend {
            Backend::Postgres(pg) => pg
                .admin_query(&format!("SELECT CAST(({sql}) AS TEXT)"))
                .await[0]
                .parse()
                .unwrap(),
            Backend::Sqlite => {
                let file = self.dir.path().join("data/elsa.db");
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(file)
                    .read_only(true);
                let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                let n = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                n
            }
        }
    }

    /// The server's database, opened beside it to read what it stored.
    pub async fn database(&self) -> elsa_store::Database {
        let settings = match &self.backend {
            Backend::Postgres(pg) => elsa_store::DbSettings::PostgreSql(pg.settings.clone()),
            Backend::Sqlite => elsa_store::DbSettings::Sqlite(elsa_store::SqliteSettings {
                filename: self
                    .dir
                    .path()
                    .join("data/elsa.db")
                    .to_string_lossy()
                    .into_owned(),
                mode: elsa_store::SqliteMode::ReadOnly,
                ..Default::default()
            }),
        };
        elsa_store::Database::connect(&settings).await.unwrap()
    }

    /// How many times activity `activity_id` ran, in how many distinct instances.
    pub async fn executions(&self, activity_id: &str) -> (i64, i64) {
        super::executions(self.database().await, activity_id).await
    }

    /// How many journal entries and activity execution records the instance has stored.
    pub async fn stored_records(&self, instance_id: &str) -> (i64, usize) {
        let db = self.database().await;
        let store = elsa_store::InstanceStore::new(db.clone());
        let journal = store.journal(instance_id, 0, 0).await.unwrap().total_count;
        let records = store.activity_records(instance_id).await.unwrap().len();
        db.close().await;
        (journal, records)
    }
}

// Runs a scenario once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario($crate::common::cluster::Cluster::new(false).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$scenario($crate::common::cluster::Cluster::new(true).await).await;
            }
        }
    )*};
}
