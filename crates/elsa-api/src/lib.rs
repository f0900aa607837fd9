//! The HTTP surface: Elsa's REST API under `/elsa/api`, and the health probes.
//!
//! Elsa compatibility lives here: route shapes, camelCase JSON, case-insensitive binding,
//! problem bodies. Handlers call the runtime; no SQL lives in this crate.

pub mod auth;
pub mod cors;
mod definitions;
mod descriptors;
pub mod health;
mod instances;
pub mod json;
pub mod problem;

use axum::Router;
use axum::routing::{get, post};
use elsa_runtime::Runtime;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

pub use auth::ApiKeyAuth;
pub use health::Health;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub runtime: Arc<Runtime>,
}

/// Largest request body accepted (workflow definitions can be large, but not unbounded).
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The whole application: `/elsa/api/*` behind the API key, `/health/*` anonymous. CORS is
/// the caller's layer ([`cors::layer`]), so it also covers routes merged in beside these.
pub fn router(state: AppState, auth: Arc<ApiKeyAuth>, health: Arc<Health>) -> Router {
    let api = Router::new()
        .route(
            "/workflow-definitions",
            get(definitions::list).post(definitions::save),
        )
        .route(
            "/workflow-definitions/execute",
            post(definitions::execute_inline),
        )
        .route(
            "/workflow-definitions/by-definition-id/{definition_id}",
            get(definitions::get_by_definition_id),
        )
        .route(
            "/workflow-definitions/{definition_id}",
            get(definitions::get_by_definition_id),
        )
        .route(
            "/workflow-definitions/{definition_id}/publish",
            post(definitions::publish),
        )
        .route(
            "/workflow-definitions/{definition_id}/execute",
            post(definitions::execute),
        )
        .route("/descriptors/activities", get(descriptors::list))
        .route("/descriptors/activities/{type_name}", get(descriptors::get))
        .route(
            "/workflow-instances",
            post(instances::list).get(instances::list),
        )
        .route("/workflow-instances/{id}", get(instances::get))
        .route_layer(axum::middleware::from_fn_with_state(
            auth,
            auth::require_api_key,
        ))
        .with_state(state);
    let health_routes = Router::new()
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .with_state(health);
    Router::new()
        .nest("/elsa/api", api)
        .merge(health_routes)
        .fallback(|| async { problem::ApiError::not_found("no such route") })
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(SetSensitiveRequestHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
        ]))
}
