//! Effects: what a run asks the runtime to do, since the engine itself does no I/O. They are
//! returned in [`crate::RunResult::effects`] in the order activities produced them.

use serde_json::Value;

/// One request to the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// `Elsa.Log`: a structured log entry for the runtime's logger.
    Log {
        level: LogLevel,
        category: String,
        message: String,
        /// Values for the message template's placeholders, as given.
        arguments: Value,
    },
}

/// .NET's `LogLevel`, which `Elsa.Log` takes by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Trace,
    Debug,
    Information,
    Warning,
    Error,
    Critical,
}

impl LogLevel {
    /// Parses a level name (case-insensitive); unknown names are `Information`, Elsa's default.
    pub fn parse(name: &str) -> Self {
        match name.trim().to_ascii_lowercase().as_str() {
            "trace" => Self::Trace,
            "debug" => Self::Debug,
            "warning" => Self::Warning,
            "error" => Self::Error,
            "critical" => Self::Critical,
            _ => Self::Information,
        }
    }
}
