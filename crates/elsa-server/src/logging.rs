//! Logs go to stderr (stdout carries workflow output), at the level `RUST_LOG` or
//! `Logging:LogLevel:Default` gives, as text or, with `Logging:Console:FormatterName=json`
//! (ASP.NET's key), one JSON object per line for log collectors. With the `otlp` feature, spans
//! also go to an OpenTelemetry collector (`otlp.rs`), filtered apart from the log.

use std::io::IsTerminal;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

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

/// Keeps what logging needs until the process ends (the span exporter, which flushes on drop).
pub struct Guard {
    #[cfg(feature = "otlp")]
    _exporter: Option<crate::otlp::Exporter>,
}

pub fn init(level: &str, json: bool) -> Guard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{},sqlx=warn,tower_http=warn,hyper=warn",
            dotnet_level(level)
        ))
    });
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);
    let log = if json {
        log.json().flatten_event(true).boxed()
    } else {
        log.with_ansi(std::io::stderr().is_terminal()).boxed()
    };
    let registry = tracing_subscriber::registry().with(log.with_filter(filter));
    #[cfg(feature = "otlp")]
    {
        let (layer, exporter) = crate::otlp::layer().unzip();
        // Request spans (tower-http's, at debug) and run spans whatever the log's level; the
        // filter sits inside the option so that without an exporter no debug span is made.
        let spans = layer.map(|layer| {
            layer.with_filter(EnvFilter::new("info,tower_http=debug,elsa_runtime=debug"))
        });
        let _ = registry.with(spans).try_init();
        Guard {
            _exporter: exporter,
        }
    }
    #[cfg(not(feature = "otlp"))]
    {
        let _ = registry.try_init();
        Guard {}
    }
}
