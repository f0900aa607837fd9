//! Which permission each `/elsa/api` route requires: one table for every route of Elsa's REST
//! API (also those not implemented yet, so routes added later are covered the moment they exist).
//! A request passes with permission `*` or any permission listed for its route. A route missing
//! from the table requires `*`: deny by default.
//!
//! Routes are matched on (method, route template as axum's `MatchedPath`), with parameter names
//! ignored (`/workflow-instances/{id}` = `/workflow-instances/{instance_id}`), case-insensitively
//! and without a trailing slash.

use axum::http::Method;
use std::collections::HashMap;
use std::sync::LazyLock;

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials (login, package version, bookmark and event-trigger URLs).
    Anonymous,
    /// The refresh route authenticates its own bearer, a refresh token.
    RefreshToken,
    /// `*` or any of these permissions; empty = only `*`.
    AnyOf(&'static [&'static str]),
}

use Access::{Anonymous, AnyOf, RefreshToken};

const READ_DEFINITIONS: Access = AnyOf(&["read:workflow-definitions"]);
const WRITE_DEFINITIONS: Access = AnyOf(&["write:workflow-definitions"]);
const PUBLISH_DEFINITIONS: Access = AnyOf(&["publish:workflow-definitions"]);
const RETRACT_DEFINITIONS: Access = AnyOf(&["retract:workflow-definitions"]);
const DELETE_DEFINITIONS: Access = AnyOf(&["delete:workflow-definitions"]);
const EXEC_DEFINITIONS: Access = AnyOf(&["exec:workflow-definitions"]);
const READ_INSTANCES: Access = AnyOf(&["read:workflow-instances"]);
const WRITE_INSTANCES: Access = AnyOf(&["write:workflow-instances"]);
const DELETE_INSTANCES: Access = AnyOf(&["delete:workflow-instances"]);
const CANCEL_INSTANCES: Access = AnyOf(&["cancel:workflow-instances"]);
const READ_ACTIVITY_EXECUTIONS: Access = AnyOf(&["read:activity-execution"]);

/// (methods separated by `|`, route template without `/elsa/api`, access): elsa-api.md §2.
const ROUTES: &[(&str, &str, Access)] = &[
    // §2.1 Identity
    ("POST", "/identity/login", Anonymous),
    ("POST", "/identity/refresh-token", RefreshToken),
    ("GET", "/identity/users", AnyOf(&["read:user"])),
    ("POST", "/identity/users", AnyOf(&["create:user"])),
    ("GET", "/identity/users/{}", AnyOf(&["read:user"])),
    ("PUT", "/identity/users/{}", AnyOf(&["update:user"])),
    ("DELETE", "/identity/users/{}", AnyOf(&["delete:user"])),
    ("GET", "/identity/roles", AnyOf(&["read:role"])),
    ("POST", "/identity/roles", AnyOf(&["create:role"])),
    ("GET", "/identity/roles/{}", AnyOf(&["read:role"])),
    ("PUT", "/identity/roles/{}", AnyOf(&["update:role"])),
    ("DELETE", "/identity/roles/{}", AnyOf(&["delete:role"])),
    (
        "POST",
        "/identity/applications",
        AnyOf(&["create:application"]),
    ),
    // §2.2 Server info, features, descriptors
    ("GET", "/package/version", Anonymous),
    (
        "GET",
        "/features/installed",
        AnyOf(&["read:installed-features"]),
    ),
    (
        "GET",
        "/features/installed/{}",
        AnyOf(&["read:installed-features"]),
    ),
    (
        "GET",
        "/descriptors/activities",
        AnyOf(&["read:activity-descriptors"]),
    ),
    (
        "GET",
        "/descriptors/activities/{}",
        AnyOf(&["read:activity-descriptors"]),
    ),
    (
        "POST",
        "/descriptors/activities/{}/options/{}",
        AnyOf(&["read:activity-descriptors-options"]),
    ),
    (
        "GET",
        "/descriptors/expression-descriptors",
        AnyOf(&["read:expression-descriptors"]),
    ),
    (
        "GET",
        "/descriptors/variables",
        AnyOf(&["read:variable-descriptors"]),
    ),
    (
        "GET",
        "/descriptors/storage-drivers",
        AnyOf(&["read:storage-drivers"]),
    ),
    (
        "GET",
        "/descriptors/workflow-activation-strategies",
        AnyOf(&["read:workflow-activation-strategies"]),
    ),
    (
        "GET",
        "/descriptors/incident-strategies",
        AnyOf(&["read:incident-strategies"]),
    ),
    (
        "GET",
        "/descriptors/log-persistence-strategies",
        AnyOf(&["read:log-persistence-strategies"]),
    ),
    (
        "GET",
        "/descriptors/commit-strategies/workflows",
        AnyOf(&["read:commit-strategies"]),
    ),
    (
        "GET",
        "/descriptors/commit-strategies/activities",
        AnyOf(&["read:commit-strategies"]),
    ),
    (
        "GET",
        "/descriptors/output-converters",
        AnyOf(&["read:output-converters"]),
    ),
    (
        "POST",
        "/scripting/javascript/type-definitions/{}",
        AnyOf(&["read:javascript-type-definitions"]),
    ),
    // §2.3 Workflow definitions
    ("GET", "/workflow-definitions", READ_DEFINITIONS),
    (
        "GET",
        "/workflow-definitions/by-definition-id/{}",
        READ_DEFINITIONS,
    ),
    ("GET", "/workflow-definitions/{}", READ_DEFINITIONS),
    ("GET", "/workflow-definitions/by-id/{}", READ_DEFINITIONS),
    ("GET", "/workflow-definitions/many-by-id", READ_DEFINITIONS),
    ("GET", "/workflow-definitions/{}/versions", READ_DEFINITIONS),
    ("GET", "/workflow-definitions/query/count", READ_DEFINITIONS),
    (
        "GET",
        "/workflow-definitions/validation/is-name-unique",
        READ_DEFINITIONS,
    ),
    (
        "GET",
        "/workflow-definitions/{}/consumers",
        READ_DEFINITIONS,
    ),
    ("GET", "/workflow-definitions/subgraph/{}", READ_DEFINITIONS),
    (
        "GET",
        "/workflow-definitions/subgraph/segments/{}",
        READ_DEFINITIONS,
    ),
    (
        "GET|POST",
        "/workflow-definitions/{}/export",
        READ_DEFINITIONS,
    ),
    (
        "POST",
        "/bulk-actions/export/workflow-definitions",
        READ_DEFINITIONS,
    ),
    ("POST", "/workflow-definitions", WRITE_DEFINITIONS),
    ("POST", "/workflow-definitions/import", WRITE_DEFINITIONS),
    ("PUT", "/workflow-definitions/{}/import", WRITE_DEFINITIONS),
    (
        "POST",
        "/workflow-definitions/import-files",
        WRITE_DEFINITIONS,
    ),
    (
        "POST",
        "/workflow-definitions/{}/publish",
        PUBLISH_DEFINITIONS,
    ),
    (
        "POST",
        "/workflow-definitions/{}/revert/{}",
        PUBLISH_DEFINITIONS,
    ),
    (
        "POST",
        "/bulk-actions/publish/workflow-definitions/by-definition-ids",
        PUBLISH_DEFINITIONS,
    ),
    (
        "POST",
        "/workflow-definitions/{}/update-references",
        PUBLISH_DEFINITIONS,
    ),
    (
        "POST",
        "/actions/workflow-definitions/refresh",
        PUBLISH_DEFINITIONS,
    ),
    (
        "POST",
        "/actions/workflow-definitions/reload",
        PUBLISH_DEFINITIONS,
    ),
    (
        "POST",
        "/workflow-definitions/{}/retract",
        RETRACT_DEFINITIONS,
    ),
    (
        "POST",
        "/bulk-actions/retract/workflow-definitions/by-definition-ids",
        RETRACT_DEFINITIONS,
    ),
    ("DELETE", "/workflow-definitions/{}", DELETE_DEFINITIONS),
    (
        "DELETE",
        "/workflow-definition-versions/{}",
        DELETE_DEFINITIONS,
    ),
    (
        "DELETE",
        "/workflow-definitions/{}/version/{}",
        DELETE_DEFINITIONS,
    ),
    (
        "POST",
        "/bulk-actions/delete/workflow-definitions/by-definition-id",
        DELETE_DEFINITIONS,
    ),
    (
        "POST",
        "/bulk-actions/delete/workflow-definitions/by-id",
        DELETE_DEFINITIONS,
    ),
    // §2.4 Executing and dispatching (and the guide's inline execute)
    (
        "GET|POST",
        "/workflow-definitions/{}/execute",
        EXEC_DEFINITIONS,
    ),
    (
        "POST",
        "/workflow-definitions/{}/dispatch",
        EXEC_DEFINITIONS,
    ),
    (
        "POST",
        "/workflow-definitions/{}/bulk-dispatch",
        EXEC_DEFINITIONS,
    ),
    ("POST", "/workflow-definitions/execute", EXEC_DEFINITIONS),
    // §2.5 Workflow instances
    ("GET|POST", "/workflow-instances", READ_INSTANCES),
    ("GET", "/workflow-instances/{}", READ_INSTANCES),
    (
        "GET",
        "/workflow-instances/{}/execution-state",
        READ_INSTANCES,
    ),
    ("GET", "/workflow-instances/{}/variables", READ_INSTANCES),
    ("POST", "/workflow-instances/{}/variables", WRITE_INSTANCES),
    ("DELETE", "/workflow-instances/{}", DELETE_INSTANCES),
    (
        "POST",
        "/bulk-actions/delete/workflow-instances",
        DELETE_INSTANCES,
    ),
    (
        "POST",
        "/bulk-actions/delete/workflow-instances/by-id",
        DELETE_INSTANCES,
    ),
    ("POST", "/cancel/workflow-instances/{}", CANCEL_INSTANCES),
    (
        "POST",
        "/bulk-actions/cancel/workflow-instances",
        CANCEL_INSTANCES,
    ),
    ("GET|POST", "/workflow-instances/{}/export", READ_INSTANCES),
    (
        "GET|POST",
        "/bulk-actions/export/workflow-instances",
        READ_INSTANCES,
    ),
    (
        "POST",
        "/bulk-actions/import/workflow-instances",
        WRITE_INSTANCES,
    ),
    // §2.6 Journal and activity executions
    ("GET|POST", "/workflow-instances/{}/journal", READ_INSTANCES),
    ("GET", "/workflow-instances/{}/journal/{}", READ_INSTANCES),
    ("GET", "/activity-executions/list", READ_ACTIVITY_EXECUTIONS),
    (
        "GET",
        "/activity-execution-summaries/list",
        READ_ACTIVITY_EXECUTIONS,
    ),
    (
        "GET",
        "/activity-executions/by-id",
        READ_ACTIVITY_EXECUTIONS,
    ),
    ("GET", "/activity-executions/{}", READ_ACTIVITY_EXECUTIONS),
    (
        "GET",
        "/activity-executions/count",
        READ_ACTIVITY_EXECUTIONS,
    ),
    (
        "GET",
        "/activity-executions/{}/call-stack",
        READ_ACTIVITY_EXECUTIONS,
    ),
    (
        "POST",
        "/activity-executions/report",
        READ_ACTIVITY_EXECUTIONS,
    ),
    // §2.7 Bookmarks, events, tasks
    ("GET|POST", "/bookmarks/resume", Anonymous),
    ("POST", "/events/{}/trigger", AnyOf(&["trigger:event"])),
    ("GET", "/events/trigger", Anonymous),
    ("POST", "/tasks/{}/complete", AnyOf(&["tasks:complete"])),
    // Ours: the runtime's work queue, read-only.
    ("GET", "/work-items", AnyOf(&["read:work-items"])),
    // Ours: the nodes sharing the database and their figures, read-only.
    ("GET", "/cluster/nodes", AnyOf(&["read:cluster"])),
];

/// `/ELSA/api/Workflow-Instances/{id}/` → `/workflow-instances/{}`.
fn normalize(template: &str) -> String {
    let lower = template.to_ascii_lowercase();
    let path = lower.strip_prefix("/elsa/api").unwrap_or(&lower);
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect();
    format!("/{}", segments.join("/"))
}

static TABLE: LazyLock<HashMap<(Method, String), Access>> = LazyLock::new(|| {
    let mut table = HashMap::new();
    for (methods, template, access) in ROUTES {
        for method in methods.split('|') {
            let method = Method::from_bytes(method.as_bytes()).expect("a valid method name");
            table.insert((method, normalize(template)), *access);
        }
    }
    table
});

/// What a request to `template` (a `MatchedPath`) with `method` requires.
pub fn required(method: &Method, template: &str) -> Access {
    // HEAD is answered by GET handlers, so it needs what GET needs.
    let method = if method == Method::HEAD {
        Method::GET
    } else {
        method.clone()
    };
    TABLE
        .get(&(method, normalize(template)))
        .copied()
        .unwrap_or(AnyOf(&[]))
}

pub use elsa_model::permissions::allows;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_case_and_prefix_do_not_matter() {
        assert_eq!(
            required(&Method::GET, "/elsa/api/workflow-instances/{instance_id}"),
            READ_INSTANCES
        );
        assert_eq!(
            required(&Method::DELETE, "/Workflow-Instances/{id}/"),
            DELETE_INSTANCES
        );
        assert_eq!(
            required(&Method::HEAD, "/elsa/api/workflow-definitions"),
            READ_DEFINITIONS
        );
        assert_eq!(
            required(&Method::GET, "/activity-executions/list"),
            READ_ACTIVITY_EXECUTIONS
        );
    }

    #[test]
    fn unknown_routes_require_star() {
        assert_eq!(required(&Method::GET, "/alterations/{id}"), AnyOf(&[]));
        assert_eq!(
            required(&Method::PATCH, "/workflow-definitions"),
            AnyOf(&[])
        );
        assert!(!allows(&["read:workflow-definitions".into()], &[]));
        assert!(allows(&["*".into()], &[]));
    }

    #[test]
    fn any_listed_permission_passes() {
        assert!(allows(
            &["read:user".into(), "exec:workflow-definitions".into()],
            &["exec:workflow-definitions"]
        ));
        assert!(!allows(
            &["read:workflow-definitions".into()],
            &["write:workflow-definitions"]
        ));
    }

    #[test]
    fn the_documented_anonymous_routes() {
        for (method, path) in [
            (Method::POST, "/identity/login"),
            (Method::GET, "/package/version"),
            (Method::GET, "/bookmarks/resume"),
            (Method::POST, "/bookmarks/resume"),
            (Method::GET, "/events/trigger"),
        ] {
            assert_eq!(required(&method, path), Anonymous, "{method} {path}");
        }
        assert_eq!(
            required(&Method::POST, "/identity/refresh-token"),
            RefreshToken
        );
        assert_eq!(
            required(&Method::POST, "/events/{name}/trigger"),
            AnyOf(&["trigger:event"])
        );
    }
}
