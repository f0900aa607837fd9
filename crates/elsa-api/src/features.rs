//! `/features/installed` and `/package/version`: what this server offers. Studio switches
//! optional screens on by feature name (404 on `/features/installed/{fullName}` = absent), so
//! only features that really work are listed.

use crate::AppState;
use crate::lists::ListResponse;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::Path;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The Elsa server version whose API this server speaks.
pub const ELSA_VERSION: &str = "3.8.0";

/// `(name, displayName, description)` of each installed feature, all in namespace `Elsa`.
const FEATURES: &[(&str, &str, &str)] = &[
    (
        "Workflows",
        "Workflows",
        "The workflow engine and its core activities.",
    ),
    (
        "WorkflowManagement",
        "Workflow Management",
        "Stores and versions workflow definitions and instances.",
    ),
    (
        "WorkflowRuntime",
        "Workflow Runtime",
        "Runs workflow instances and resumes them through bookmarks and events.",
    ),
    (
        "WorkflowsApi",
        "Workflows API",
        "The REST API for workflow definitions, instances and descriptors.",
    ),
    ("JavaScript", "JavaScript", "JavaScript expressions."),
    ("Liquid", "Liquid", "Liquid expressions."),
    (
        "Http",
        "HTTP",
        "HTTP activities and HTTP-triggered workflows.",
    ),
    (
        "Scheduling",
        "Scheduling",
        "Timers, delays and cron schedules, kept in the database.",
    ),
];

/// An installed feature (Elsa's `FeatureDescriptor`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeatureDescriptor {
    pub name: &'static str,
    /// Always `Elsa`.
    pub namespace: &'static str,
    /// `Elsa.<name>`.
    pub full_name: String,
    pub display_name: &'static str,
    pub description: &'static str,
}

fn descriptor(
    &(name, display_name, description): &(&'static str, &'static str, &'static str),
) -> FeatureDescriptor {
    FeatureDescriptor {
        name,
        namespace: "Elsa",
        full_name: format!("Elsa.{name}"),
        display_name,
        description,
    }
}

/// `{packageVersion}`: the Elsa version this server answers as.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageVersion {
    pub package_version: &'static str,
}

/// The feature routes (authenticated).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(installed))
        .routes(routes!(installed_one))
}

/// The package route (anonymous in Elsa).
pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(package_version))
}

/// `GET /features/installed`.
#[utoipa::path(get, path = "/features/installed", tag = "features",
    responses((status = 200, description = "The installed features", body = ListResponse<FeatureDescriptor>)))]
pub async fn installed() -> Json<ListResponse<FeatureDescriptor>> {
    Json(FEATURES.iter().map(descriptor).collect::<Vec<_>>().into())
}

/// `GET /features/installed/{fullName}`: one feature, or 404 when it is not installed.
#[utoipa::path(get, path = "/features/installed/{full_name}", tag = "features",
    params(("full_name" = String, Path)),
    responses((status = 200, description = "The feature", body = FeatureDescriptor),
        (status = 404, description = "Not installed")))]
pub async fn installed_one(
    Path(full_name): Path<String>,
) -> Result<Json<FeatureDescriptor>, ApiError> {
    FEATURES
        .iter()
        .find(|(name, ..)| format!("Elsa.{name}").eq_ignore_ascii_case(&full_name))
        .map(|f| Json(descriptor(f)))
        .ok_or_else(|| ApiError::not_found(format!("feature {full_name} is not installed")))
}

/// `GET /package/version`.
#[utoipa::path(get, path = "/package/version", tag = "features",
    responses((status = 200, description = "The Elsa version", body = PackageVersion)))]
pub async fn package_version() -> Json<PackageVersion> {
    Json(PackageVersion {
        package_version: ELSA_VERSION,
    })
}
