//! Our host page for the Studio's custom elements (`studio/` at the repository root), compiled
//! into the binary, and the Studio's `appsettings.json`, generated rather than the package's.

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const INDEX: &str = include_str!("../../../../studio/index.html");
const SCRIPT: &str = include_str!("../../../../studio/shell.js");
const STYLES: &str = include_str!("../../../../studio/shell.css");
/// The package's file names a backend URL the elements ignore and logs every HTTP call at
/// Information (about four console lines per request); Warning keeps errors only.
const APPSETTINGS: &str = r#"{"Logging":{"LogLevel":{"Default":"Warning"}}}"#;

pub fn router() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { page(INDEX, "text/html; charset=utf-8") }),
        )
        .route(
            "/shell/shell.js",
            get(|| async { page(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/shell/shell.css",
            get(|| async { page(STYLES, "text/css; charset=utf-8") }),
        )
        .route(
            "/appsettings.json",
            get(|| async { page(APPSETTINGS, "application/json") }),
        )
}

/// The shell is never cached: it is small, and a new server version must reach the browser.
fn page(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}
