//! The HTTP surface: Elsa's REST API under `/elsa/api`, HTTP workflows under `/workflows`,
//! and the health probes.
//!
//! Elsa compatibility lives here: route shapes, camelCase JSON, case-insensitive binding,
//! problem bodies. Handlers call the runtime; no SQL lives in this crate.

mod activity_executions;
mod bookmarks;
pub mod cors;
mod definitions;
mod descriptors;
mod events;
mod features;
pub mod health;
pub mod http_workflows;
pub mod identity;
mod instances;
pub mod json;
mod lists;
pub mod metrics;
mod nodes;
mod openapi;
pub mod problem;
mod scripting;
mod work_items;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use elsa_runtime::Runtime;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use health::Health;
pub use identity::{Identity, IdentityOptions, TokenOptions};

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub runtime: Arc<Runtime>,
}

/// Where Elsa serves its REST API.
const API_PREFIX: &str = "/elsa/api";

/// Where the Swagger UI lives; it needs its trailing slash (relative asset paths).
const SWAGGER_PATH: &str = "/elsa/api/swagger";

/// Elsa tolerates a trailing slash on every route (Studio calls bulk cancel without the one
/// Elsa declares, curl users add one): the request is routed as if it had none. Applied by the
/// server around the whole app, before routing. The Swagger UI keeps its slash.
pub fn trim_trailing_slash(mut request: axum::extract::Request) -> axum::extract::Request {
    let path = request.uri().path();
    if path.len() <= 1 || !path.ends_with('/') || path.starts_with(SWAGGER_PATH) {
        return request;
    }
    let trimmed = path.trim_end_matches('/');
    let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(value) = path_and_query.parse() {
        parts.path_and_query = Some(value);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// The document's paths as clients call them: under the API prefix.
fn nest_paths(mut doc: utoipa::openapi::OpenApi, prefix: &str) -> utoipa::openapi::OpenApi {
    let paths = std::mem::take(&mut doc.paths.paths);
    doc.paths.paths = paths
        .into_iter()
        .map(|(path, item)| (format!("{prefix}{path}"), item))
        .collect();
    doc
}

/// How much of a request body is read (`Kestrel:Limits:MaxRequestBodySize`,
/// `Elsa:Http:MaxImportSize`); identity routes read a few KB whatever these say.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Any route's body but the uploads'.
    pub max_body: usize,
    /// The import routes' multipart uploads.
    pub max_import: usize,
}

impl BodyLimits {
    /// The defaults of the configuration keys (a const, so the configuration table can name them).
    pub const DEFAULT: Self = Self {
        max_body: 4 << 20,
        max_import: 32 << 20,
    };
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// An upload route: read up to [`BodyLimits::max_import`] (the limit applied around the whole
/// application) rather than the smaller per-request limit.
pub(crate) fn uploads(
    route: utoipa_axum::router::UtoipaMethodRouter<AppState>,
) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(route)
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// The whole application: `/elsa/api/*` behind the permission check, `/health/*` anonymous. CORS is
/// the caller's layer ([`cors::layer`]), so it also covers routes merged in beside these.
pub fn router(
    state: AppState,
    identity: Arc<Identity>,
    health: Arc<Health>,
    limits: BodyLimits,
) -> Router {
    let (api, doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(identity::routes(identity.clone()))
        .merge(definitions::routes())
        .merge(descriptors::routes())
        .merge(instances::routes())
        .merge(activity_executions::routes())
        .merge(events::routes())
        .merge(features::routes())
        .merge(scripting::routes())
        .merge(work_items::routes())
        .merge(nodes::routes())
        .split_for_parts();
    // Anonymous in Elsa: the token is the credential, or the information is public.
    let (public, public_doc) = OpenApiRouter::new()
        .merge(bookmarks::public_routes())
        .merge(events::public_routes())
        .merge(features::public_routes())
        .split_for_parts();
    let api = api
        .route_layer(axum::middleware::from_fn_with_state(
            identity.clone(),
            identity::authorize,
        ))
        .merge(public)
        .with_state(state.clone());
    let mut doc = doc;
    doc.merge(public_doc);
    openapi::problem_bodies(&mut doc);
    let docs = openapi::routes(&nest_paths(doc, API_PREFIX));
    let health_routes = Router::new()
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .with_state(health);
    let http_workflows = Router::new()
        .route(http_workflows::BASE_PATH, any(http_workflows::handle))
        .route("/workflows/{*path}", any(http_workflows::handle))
        .layer(axum::Extension(identity.clone()))
        .with_state(state.clone());
    Router::new()
        .nest(API_PREFIX, api)
        .merge(docs)
        .merge(health_routes)
        .merge(http_workflows)
        .fallback(|| async { problem::ApiError::not_found("no such route") })
        .layer(axum::middleware::from_fn(reject_nul_in_url))
        // Around everything, the largest body any route reads (a 413 before reading one
        // announced larger); each extractor then stops at its route's own limit.
        .layer(RequestBodyLimitLayer::new(
            limits.max_body.max(limits.max_import),
        ))
        .layer(axum::extract::DefaultBodyLimit::max(limits.max_body))
        .layer(CatchPanicLayer::new())
        .layer(
            TraceLayer::new_for_http()
                .on_response(log_response)
                .on_failure(()),
        )
        .layer(SetSensitiveRequestHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
        ]))
}

/// Refuses a URL whose path or query decodes to a NUL character (`%00`): ids and route values
/// end up in the database, and PostgreSQL stores no NUL, so this answers 400 on every database.
async fn reject_nul_in_url(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let uri = request.uri();
    let has_nul = |text: &str| text.as_bytes().windows(3).any(|w| w == b"%00");
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        return problem::ApiError::bad_request(
            "the URL holds a NUL character (%00), which cannot be stored",
        )
        .into_response();
    }
    next.run(request).await
}

/// Marks a 500 that reports a workflow's fault (Elsa answers a faulted run so): the workflow's
/// outcome, not a failure of the server, so it is logged as a warning naming the instance.
#[derive(Clone, Debug)]
pub(crate) struct FaultedWorkflow(pub String);

/// Logs each response as tower-http does by default (at debug level); a server error also at
/// error level, except a faulted workflow's answer and a 503 (not ready, shutting down, the
/// database away: a state of the deployment, reported by readiness too), which are warnings.
fn log_response(
    response: &axum::response::Response,
    latency: std::time::Duration,
    span: &tracing::Span,
) {
    use tower_http::trace::{DefaultOnResponse, OnResponse};
    DefaultOnResponse::default().on_response(response, latency, span);
    let status = response.status();
    if !status.is_server_error() {
        return;
    }
    let latency_ms = latency.as_millis();
    match response.extensions().get::<FaultedWorkflow>() {
        Some(FaultedWorkflow(instance_id)) => tracing::warn!(
            parent: span,
            %instance_id,
            status = status.as_u16(),
            latency_ms,
            "workflow faulted"
        ),
        None if status == axum::http::StatusCode::SERVICE_UNAVAILABLE => tracing::warn!(
            parent: span,
            status = status.as_u16(),
            latency_ms,
            "service unavailable"
        ),
        None => tracing::error!(
            parent: span,
            status = status.as_u16(),
            latency_ms,
            "request failed"
        ),
    }
}
