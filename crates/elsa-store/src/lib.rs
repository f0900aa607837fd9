//! Persistence: the stores elsa-rs needs, on SQLite and on PostgreSQL.

pub mod connection_string;
pub mod settings;

pub use settings::{DbSettings, PgSettings, Provider, SqliteMode, SqliteSettings, SslMode};
