//! `GET|POST /bookmarks/resume?t=`: resumes the bookmark a server-minted token names
//! (anonymous, as in Elsa: the token is the credential).

use crate::AppState;
use crate::json::{Query, parse_body};
use crate::problem::ApiError;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use elsa_runtime::RuntimeError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Largest resume input accepted (Elsa's limit).
const MAX_INPUT: usize = 1024 * 1024;

/// The bookmark routes (anonymous).
pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(resume_get, resume))
}

/// `{input}`: values by name (free-form) for the resumed activity.
#[derive(Deserialize, Serialize, Default, ToSchema)]
#[serde(default)]
struct ResumeBody {
    input: Option<Map<String, Value>>,
}

/// The `t` query parameter, required.
pub fn token(q: &Query) -> Result<&str, ApiError> {
    q.get("t")
        .ok_or_else(|| ApiError::bad_request("query parameter 't' (the token) is required"))
}

/// `GET /bookmarks/resume?t=&in=<JSON object>`.
#[utoipa::path(get, path = "/bookmarks/resume", tag = "bookmarks",
    operation_id = "resumeBookmarkGet",
    params(("t" = String, Query, description = "The token"),
        ("in" = Option<String>, Query, description = "The input as a URL-encoded JSON object"),
        ("async" = Option<bool>, Query)),
    responses((status = 200, description = "Resumed, queued (`async=true`), or resumed already"),
        (status = 400, description = "The token or the input is invalid")))]
pub async fn resume_get(state: State<AppState>, raw: RawQuery) -> Result<StatusCode, ApiError> {
    resume(state, raw, axum::body::Bytes::new()).await
}

/// `POST /bookmarks/resume?t=` with `{"input": {...}}` (`in=` in the query is merged in).
#[utoipa::path(post, path = "/bookmarks/resume", tag = "bookmarks",
    operation_id = "resumeBookmarkPost",
    params(("t" = String, Query, description = "The token"),
        ("in" = Option<String>, Query, description = "The input as a URL-encoded JSON object"),
        ("async" = Option<bool>, Query)),
    request_body(content = ResumeBody, description = "At most 1 MiB"),
    responses((status = 200, description = "Resumed, queued (`async=true`), or resumed already"),
        (status = 400, description = "The token or the input is invalid")))]
pub async fn resume(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let q = Query::parse(raw.as_deref());
    let token = token(&q)?;
    let asynchronous = q.bool("async")?.unwrap_or(false);
    if body.len() > MAX_INPUT {
        return Err(ApiError::bad_request("the input is larger than 1 MiB"));
    }
    let mut input = parse_body::<ResumeBody>(&body)?.input.unwrap_or_default();
    if let Some(text) = q.get("in") {
        let from_query: Map<String, Value> = serde_json::from_str(text).map_err(|e| {
            ApiError::bad_request(format!("query parameter 'in' must be a JSON object: {e}"))
        })?;
        input.extend(from_query);
    }
    match state
        .runtime
        .resume_with_token(token, input, asynchronous)
        .await
    {
        // As Elsa: a bookmark resumed already (by a racing request, say) is no error.
        Ok(()) | Err(RuntimeError::Resume(_) | RuntimeError::InstanceNotFound(_)) => {
            Ok(StatusCode::OK)
        }
        Err(error) => Err(error.into()),
    }
}
