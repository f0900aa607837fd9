//! Logs go to stderr (stdout carries workflow output), at the level `RUST_LOG` or
//! `Logging:LogLevel:Default` gives, as text or, with `Logging:Console:FormatterName=json`
//! (ASP.NET's key), one JSON object per line for log collectors.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Maps .NET level names onto tracing's.
fn dotnet_level(level: &str) -> &'static str {
    match level.to_ascii_lowercase().as_str() {
        "trace" => "trace",
        "debug" => "debug",
        "warning" | "warn" => "warn",
        "error" | "critical" => "error",
        "none" => "off",
        _ => "info",
    }
}

pub fn init(level: &str, json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{},sqlx=warn,tower_http=warn,hyper=warn",
            dotnet_level(level)
        ))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
    };
}
