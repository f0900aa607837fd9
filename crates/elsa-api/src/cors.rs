//! Cross-origin access for browsers: which origins may call the API, answered preflights, and
//! the response headers a cross-origin Studio must be able to read.
//!
//! Elsa's reference host allows any origin, header and method. The API authenticates with an
//! `Authorization` header, never a cookie, so allowing any origin lets no page act with a
//! visitor's credentials; an explicit list narrows it for operators who want that.

use axum::http::{HeaderName, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// The origins browsers may call the API from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// `Access-Control-Allow-Origin: *`, as Elsa's reference host answers.
    Any,
    /// Exactly these origins (`scheme://host[:port]`); other origins get no CORS headers.
    List(Vec<HeaderValue>),
}

/// Headers the Studio reads from responses: the Run button takes the new instance id (or the
/// "cannot start" flag) from the execute response, export reads the file name.
const EXPOSED: [&str; 3] = [
    "x-elsa-workflow-instance-id",
    "x-elsa-workflow-cannot-start",
    "content-disposition",
];

/// Browsers cache a preflight this long, so the Studio's polling does not double its requests.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The layer answering preflights and adding CORS headers for `origins`.
pub fn layer(origins: &AllowedOrigins) -> CorsLayer {
    let allow_origin = match origins {
        AllowedOrigins::Any => AllowOrigin::any(),
        AllowedOrigins::List(list) => AllowOrigin::list(list.iter().cloned()),
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        // Mirrored rather than `*`: a wildcard never covers `Authorization`.
        .allow_headers(AllowHeaders::mirror_request())
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .expose_headers(EXPOSED.map(HeaderName::from_static))
        .max_age(PREFLIGHT_MAX_AGE)
}
