//! OpenTelemetry traces over OTLP/HTTP (cargo feature `otlp`). With
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, the server's
//! spans — each HTTP request (tower-http's), each committed workflow run — go to that collector
//! in batches from a thread of the SDK's own; the standard `OTEL_*` variables configure the
//! exporter (headers, timeout, batch delay) and the resource (`OTEL_SERVICE_NAME`, default
//! `elsa-server`; `OTEL_RESOURCE_ATTRIBUTES`). Without them nothing is exported or buffered.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// Flushes the spans still buffered when the process ends.
pub struct Exporter(SdkTracerProvider);

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.0.shutdown();
    }
}

/// The layer that exports spans, when an endpoint is configured.
pub fn layer<S>() -> Option<(impl Layer<S>, Exporter)>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    let configured = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|key| std::env::var_os(key).is_some_and(|value| !value.is_empty()));
    if !configured {
        return None;
    }
    // The workspace's reqwest has TLS without a built-in crypto provider (elsa-runtime's client
    // brings its own): the exporter's client needs one installed for the process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
    {
        Ok(exporter) => exporter,
        Err(error) => {
            // Logging is not set up yet: this is the one place that can say it.
            eprintln!("OpenTelemetry: no OTLP exporter ({error}); traces are not exported");
            return None;
        }
    };
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("elsa-server");
    }
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer("elsa-server");
    Some((
        tracing_opentelemetry::layer().with_tracer(tracer),
        Exporter(provider),
    ))
}
