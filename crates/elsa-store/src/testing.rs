//! Test support (feature `testing`): throwaway databases for the shared store suite and the
//! end-to-end tests.
//!
//! PostgreSQL comes from `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`,
//! the cluster `.ci/run` makes sure is running). Each [`TestPg`] is a fresh database, dropped
//! when the value is dropped.

use crate::connection_string;
use crate::settings::{DbSettings, PgSettings};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh PostgreSQL database.
pub struct TestPg {
    admin: PgSettings,
    pub settings: PgSettings,
}

impl TestPg {
    /// Creates a database named `elsa_test_<random>`. Panics with the fix when no server answers:
    /// the suite must run against PostgreSQL, never skip it.
    pub async fn new() -> Self {
        let url = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string());
        let admin = match connection_string::parse(&url).map(|p| p.settings) {
            Ok(DbSettings::PostgreSql(pg)) => pg,
            other => panic!("TEST_DATABASE_URL must be a PostgreSQL URL, got {other:?}"),
        };
        let name = format!("elsa_test_{}", uuid_like());
        let mut conn = PgConnection::connect_with(&crate::pool::pg_options(&admin))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at {admin} ({e}); start it (bash .ci/run does) or set TEST_DATABASE_URL"
                )
            });
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let settings = PgSettings {
            database: Some(name),
            ..admin.clone()
        };
        Self { admin, settings }
    }

    /// The Npgsql-style connection string of this database, password included.
    pub fn connection_string(&self) -> String {
        let s = &self.settings;
        let mut text = format!(
            "Host={};Port={};Database={};Username={}",
            s.host,
            s.port,
            s.database.as_deref().unwrap_or_default(),
            s.username.as_deref().unwrap_or("postgres")
        );
        if let Some(pw) = &s.password {
            text.push_str(&format!(";Password={pw}"));
        }
        text
    }

    /// Runs SQL as the administrative user against this database (roles, grants).
    pub async fn admin_execute(&self, sql: &str) {
        let mut conn = PgConnection::connect_with(&crate::pool::pg_options(&self.settings))
            .await
            .expect("connect as admin");
        sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
    }

    /// Runs a query as the administrative user and returns the first column of every row as text.
    pub async fn admin_query(&self, sql: &str) -> Vec<String> {
        let mut conn = PgConnection::connect_with(&crate::pool::pg_options(&self.settings))
            .await
            .expect("connect as admin");
        let rows: Vec<(String,)> = sqlx::query_as(AssertSqlSafe(sql.to_string()))
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
        rows.into_iter().map(|r| r.0).collect()
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.settings.database.clone().unwrap_or_default();
        // Drop may run inside a tokio runtime, so do the async cleanup on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok(mut conn) =
                        PgConnection::connect_with(&crate::pool::pg_options(&admin)).await
                    {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
                        let _ = conn.close().await;
                    }
                });
            }
        })
        .join();
    }
}

/// 16 random hex characters, without pulling a random-number crate into the store.
fn uuid_like() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}
