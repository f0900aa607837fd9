//! The `elsa-server` binary's pieces: configuration, the commands, and the wiring between the
//! layers. Business logic lives in the crates below; this crate only assembles them.

pub mod api_key;
pub mod cli;
pub mod config;
pub mod connections;
pub mod databases;
pub mod logging;
pub mod metrics;
pub mod migrate;
#[cfg(feature = "otlp")]
pub mod otlp;
pub mod run;
pub mod serve;
pub mod studio;
