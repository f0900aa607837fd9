//! `/metrics`: Prometheus text, anonymous like the probes, with the names the guide's
//! monitoring section uses. The server installs the recorder and gives the route its render
//! function; this module counts the HTTP requests (`http_requests_total`,
//! `http_request_duration_seconds`, by method and status — never by path, whose values are
//! unbounded), and the runtime counts workflow executions where it commits them.

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use std::time::Instant;

/// Renders every metric in Prometheus' text format.
pub type Render = Arc<dyn Fn() -> String + Send + Sync>;

/// The `/metrics` route.
pub fn router(render: Render) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let text = render();
            std::future::ready(
                (
                    [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                    text,
                )
                    .into_response(),
            )
        }),
    )
}

/// Counts a request and how long it took, by method and status code.
pub async fn track(request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method.to_owned()), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The method as a label: HTTP lets a client invent methods, and each new label value is a
/// series the recorder keeps for the life of the process, so anything but the standard methods
/// counts as `_OTHER` (OpenTelemetry's name for it).
fn method_label(method: &Method) -> &'static str {
    static STANDARD: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::CONNECT,
        Method::OPTIONS,
        Method::TRACE,
        Method::PATCH,
    ];
    STANDARD
        .iter()
        .find(|m| *m == method)
        .map_or("_OTHER", Method::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(
            method_label(&Method::from_bytes(b"BREW").unwrap()),
            "_OTHER"
        );
        assert_eq!(method_label(&Method::from_bytes(b"get").unwrap()), "_OTHER");
    }
}
