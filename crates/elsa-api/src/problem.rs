//! Errors as HTTP responses: `application/problem+json` bodies that carry both the RFC 9457
//! fields and the FastEndpoints shape Elsa clients read (`errors.generalErrors`).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use elsa_runtime::RuntimeError;
use elsa_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The `title` of a 503 whose change may or may not have been stored.
pub const COMMIT_OUTCOME_UNKNOWN: &str = "Commit outcome unknown";

/// An error answered to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Sent as `Retry-After` (whole seconds), with 429 and 503.
    pub retry_after: Option<std::time::Duration>,
    /// The problem's `title` when the status's own reason would hide what happened.
    pub title: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
            title: None,
        }
    }

    /// 429: the client must wait `retry_after` before trying again.
    pub fn too_many_requests(message: impl Into<String>, retry_after: std::time::Duration) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, message)
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
    }

    /// A failure of ours, not the client's; the message must not carry secrets.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

/// Every error body (`application/problem+json`): RFC 9457's fields and FastEndpoints'.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProblemDetails {
    /// `https://httpstatuses.io/<status>`.
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The status again, as FastEndpoints writes it.
    pub status_code: u16,
    /// Always `One or more errors occurred!`.
    pub message: String,
    pub errors: ProblemErrors,
}

/// The messages of a problem.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProblemErrors {
    pub general_errors: Vec<String>,
}

/// A problem body with several messages (`errors.generalErrors`), `detail` summing them up.
pub fn problem(status: StatusCode, detail: &str, messages: &[String]) -> Response {
    titled_problem(status, None, detail, messages)
}

fn titled_problem(
    status: StatusCode,
    title: Option<&str>,
    detail: &str,
    messages: &[String],
) -> Response {
    let code = status.as_u16();
    let body = ProblemDetails {
        r#type: format!("https://httpstatuses.io/{code}"),
        title: title
            .or(status.canonical_reason())
            .unwrap_or("Error")
            .to_owned(),
        status: code,
        detail: detail.to_owned(),
        status_code: code,
        message: "One or more errors occurred!".to_owned(),
        errors: ProblemErrors {
            general_errors: messages.to_vec(),
        },
    };
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = titled_problem(
            self.status,
            self.title,
            &self.message,
            std::slice::from_ref(&self.message),
        );
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(wait.as_secs().max(1)),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer, ApiKey"),
            );
        }
        response
    }
}

impl From<RuntimeError> for ApiError {
    fn from(e: RuntimeError) -> Self {
        match &e {
            RuntimeError::DefinitionNotFound(_) | RuntimeError::InstanceNotFound(_) => {
                Self::not_found(e.to_string())
            }
            RuntimeError::Resume(_)
            | RuntimeError::ResumeLimit(_)
            | RuntimeError::FollowUpLimit(_) => Self::bad_request(e.to_string()),
            RuntimeError::InvalidToken(_) => Self::bad_request(e.to_string()),
            RuntimeError::InvalidWorkflow { .. }
            | RuntimeError::InvalidDefinitionFile(_)
            | RuntimeError::ValidationFailed(_) => Self::bad_request(e.to_string()),
            RuntimeError::NotPublished(_) => Self::bad_request(e.to_string()),
            RuntimeError::ReadOnly(_) => Self::new(StatusCode::FORBIDDEN, e.to_string()),
            RuntimeError::InstanceExists(_) => Self::new(StatusCode::CONFLICT, e.to_string()),
            RuntimeError::Stopped => Self::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            RuntimeError::EnginePanicked | RuntimeError::HttpClient(_) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
            RuntimeError::Store(store) => store_error(store),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        store_error(&e)
    }
}

fn store_error(e: &StoreError) -> ApiError {
    if e.is_connection() {
        metrics::counter!("elsa_database_connection_errors_total").increment(1);
    }
    match e {
        StoreError::Conflict { .. } => ApiError::new(StatusCode::CONFLICT, e.to_string()),
        StoreError::CommitOutcomeUnknown(cause) => {
            tracing::warn!(error = %cause, "commit outcome unknown");
            ApiError {
                title: Some(COMMIT_OUTCOME_UNKNOWN),
                retry_after: Some(std::time::Duration::from_secs(1)),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database did not confirm the commit, so the change may or may not be stored; \
                     retry with the same Idempotency-Key header (execute, dispatch) to get the first result \
                     instead of running twice, or look the instance up before retrying",
                )
            }
        }
        _ => {
            tracing::error!(error = %e, "store error");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is not available; try again later",
            )
        }
    }
}
