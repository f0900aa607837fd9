//! The permission check in front of every `/elsa/api` route.

use super::SharedIdentity;
use super::permissions::{self, Access};
use crate::problem::ApiError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;

/// 401 without valid credentials, 429 while the client address is locked out after failed
/// ones ([`super::lockout`]), 403 when the principal lacks every permission the route
/// lists; otherwise the request goes on with its [`super::Principal`] in the extensions.
pub async fn authorize(
    State(identity): State<SharedIdentity>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let template = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let required = match permissions::required(request.method(), &template) {
        Access::Anonymous | Access::RefreshToken => return Ok(next.run(request).await),
        Access::AnyOf(_) if !identity.enabled() => return Ok(next.run(request).await),
        Access::AnyOf(required) => required,
    };
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let client = super::ClientAddr::of(&request);
    let principal = identity.authenticate(client, header).await?;
    if !principal.may(required) {
        let needed = if required.is_empty() {
            "permission '*'".to_owned()
        } else {
            format!("one of the permissions '*', '{}'", required.join("', '"))
        };
        return Err(ApiError::forbidden(format!(
            "{} {template} requires {needed}",
            request.method()
        )));
    }
    request.extensions_mut().insert(principal);
    Ok(next.run(request).await)
}
