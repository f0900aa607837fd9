//! `/identity/*`: login, refresh, users, roles and applications, with Elsa's request and
//! response shapes.

use super::{ClientAddr, Principal, SharedIdentity, permissions, random};
use crate::json::LenientJson;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use elsa_store::{Application, Role, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The largest identity body read: names, passwords, tokens and role lists, with room to
/// spare. Anyone may post a login or a refresh token, so these bodies stay small.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Generic over the outer router's state: these routes carry their own.
pub fn routes<S: Clone + Send + Sync + 'static>(identity: SharedIdentity) -> OpenApiRouter<S> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh_token))
        .routes(routes!(create_user, list_users))
        .routes(routes!(update_user, delete_user))
        .routes(routes!(create_role, list_roles))
        .routes(routes!(update_role, delete_role))
        .routes(routes!(create_application))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(identity)
}

/// `{isAuthenticated, accessToken, refreshToken}`; the tokens only when authenticated.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct LoginResponse {
    is_authenticated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

impl From<Option<super::IssuedTokens>> for LoginResponse {
    fn from(tokens: Option<super::IssuedTokens>) -> Self {
        Self {
            is_authenticated: tokens.is_some(),
            access_token: tokens.as_ref().map(|t| t.access_token.clone()),
            refresh_token: tokens.map(|t| t.refresh_token),
        }
    }
}

/// `{username, password}`.
#[derive(Deserialize, ToSchema)]
struct LoginRequest {
    #[schema(required = true)]
    username: Option<String>,
    #[schema(required = true)]
    password: Option<String>,
}

/// 200 whatever the outcome (`isAuthenticated` says it), as Elsa answers; 429 while the client
/// address or the user name is locked out after failed attempts.
#[utoipa::path(post, path = "/identity/login", tag = "identity", security(()),
    request_body(content = LoginRequest),
    responses((status = 200, description = "Whether the credentials are right, and the tokens if so", body = LoginResponse),
        (status = 400, description = "username or password missing"),
        (status = 429, description = "Too many failed attempts from this address or for this user name; see Retry-After")))]
async fn login(
    State(identity): State<SharedIdentity>,
    client: ClientAddr,
    LenientJson(body): LenientJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let required = |value: Option<String>, field: &str| {
        value
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::bad_request(format!("'{field}' is required")))
    };
    let username = required(body.username, "username")?;
    let password = required(body.password, "password")?;
    Ok(Json(
        identity.login(client, &username, &password).await?.into(),
    ))
}

#[utoipa::path(post, path = "/identity/refresh-token", tag = "identity", security(("Bearer" = [])),
    responses((status = 200, description = "A new token pair", body = LoginResponse),
        (status = 401, description = "The bearer is not a valid refresh token"),
        (status = 429, description = "Too many failed attempts from this address; see Retry-After")))]
async fn refresh_token(
    State(identity): State<SharedIdentity>,
    client: ClientAddr,
    headers: HeaderMap,
) -> Result<Json<LoginResponse>, ApiError> {
    let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    Ok(Json(identity.refresh(client, header).await?.into()))
}

/// A user, without its password.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct UserModel {
    id: String,
    name: String,
    roles: Vec<String>,
    tenant_id: Option<String>,
}

fn user_summary(u: User) -> UserModel {
    UserModel {
        id: u.id,
        name: u.name,
        roles: u.roles,
        tenant_id: u.tenant_id,
    }
}

/// `{users}`.
#[derive(Serialize, ToSchema)]
struct UserList {
    users: Vec<UserModel>,
}

#[utoipa::path(get, path = "/identity/users", tag = "identity",
    responses((status = 200, description = "Every user", body = UserList)))]
async fn list_users(State(identity): State<SharedIdentity>) -> Result<Json<UserList>, ApiError> {
    let users = identity.store.users().await?;
    Ok(Json(UserList {
        users: users.into_iter().map(user_summary).collect(),
    }))
}

/// `{name, password?, roles?}`; an update reads `password` and `roles` only.
#[derive(Deserialize, ToSchema)]
struct UserBody {
    name: Option<String>,
    password: Option<String>,
    roles: Option<Vec<String>>,
}

async fn hash(secret: String) -> Result<elsa_secrets::HashedSecret, ApiError> {
    tokio::task::spawn_blocking(move || elsa_secrets::hash(&secret))
        .await
        .map_err(|e| ApiError::internal(format!("hashing failed: {e}")))
}

/// A password given by the client (trimmed), or a generated one.
fn password_or_generated(password: Option<String>) -> String {
    password
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| random::secret(32))
}

/// A new user as Elsa answers it: with its password (given or generated), this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreatedUser {
    id: String,
    name: String,
    password: String,
    roles: Vec<String>,
    tenant_id: Option<String>,
    hashed_password: String,
    hashed_password_salt: String,
}

/// Creates a user; the response carries the (possibly generated) password, once.
#[utoipa::path(post, path = "/identity/users", tag = "identity",
    request_body(content = UserBody, description = "Without a password, one is generated"),
    responses((status = 200, description = "The user, with its password once", body = CreatedUser),
        (status = 400, description = "Invalid user"), (status = 409, description = "The name is taken")))]
async fn create_user(
    State(identity): State<SharedIdentity>,
    LenientJson(body): LenientJson<UserBody>,
) -> Result<Json<CreatedUser>, ApiError> {
    let name = body
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("'name' is required"))?;
    let password = password_or_generated(body.password);
    let hashed = hash(password.clone()).await?;
    let user = User {
        id: random::id(),
        name,
        hashed_password: hashed.secret,
        hashed_password_salt: hashed.salt,
        roles: body.roles.unwrap_or_default(),
        tenant_id: None,
    };
    if !identity.store.insert_user(&user).await? {
        return Err(ApiError::conflict(format!(
            "a user named '{}' already exists",
            user.name
        )));
    }
    Ok(Json(CreatedUser {
        id: user.id,
        name: user.name,
        password,
        roles: user.roles,
        tenant_id: user.tenant_id,
        hashed_password: user.hashed_password,
        hashed_password_salt: user.hashed_password_salt,
    }))
}

#[utoipa::path(put, path = "/identity/users/{id}", tag = "identity",
    params(("id" = String, Path)),
    request_body(content = UserBody, description = "`password` and `roles`; absent ones stay"),
    responses((status = 200, description = "The user", body = UserModel), (status = 404, description = "No such user")))]
async fn update_user(
    State(identity): State<SharedIdentity>,
    Path(id): Path<String>,
    LenientJson(body): LenientJson<UserBody>,
) -> Result<Json<UserModel>, ApiError> {
    let mut user = identity
        .store
        .user_by_id(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no user with id '{id}'")))?;
    if let Some(roles) = body.roles {
        user.roles = roles;
    }
    if let Some(password) = body.password.filter(|p| !p.trim().is_empty()) {
        let hashed = hash(password.trim().to_owned()).await?;
        user.hashed_password = hashed.secret;
        user.hashed_password_salt = hashed.salt;
    }
    if !identity.store.update_user(&user).await? {
        return Err(ApiError::not_found(format!("no user with id '{id}'")));
    }
    Ok(Json(user_summary(user)))
}

#[utoipa::path(delete, path = "/identity/users/{id}", tag = "identity",
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such user")))]
async fn delete_user(
    State(identity): State<SharedIdentity>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    match identity.store.delete_user(&id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::not_found(format!("no user with id '{id}'"))),
    }
}

/// A role and the permissions it grants.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct RoleModel {
    id: String,
    name: String,
    permissions: Vec<String>,
    tenant_id: Option<String>,
}

fn role_json(r: Role) -> RoleModel {
    RoleModel {
        id: r.id,
        name: r.name,
        permissions: r.permissions,
        tenant_id: r.tenant_id,
    }
}

/// `{roles}`.
#[derive(Serialize, ToSchema)]
struct RoleList {
    roles: Vec<RoleModel>,
}

#[utoipa::path(get, path = "/identity/roles", tag = "identity",
    responses((status = 200, description = "Every role", body = RoleList)))]
async fn list_roles(State(identity): State<SharedIdentity>) -> Result<Json<RoleList>, ApiError> {
    let roles = identity.store.roles().await?;
    Ok(Json(RoleList {
        roles: roles.into_iter().map(role_json).collect(),
    }))
}

/// `{id?, name, permissions?}`; an update reads `name` and `permissions` only.
#[derive(Deserialize, ToSchema)]
struct RoleBody {
    id: Option<String>,
    name: Option<String>,
    permissions: Option<Vec<String>>,
}

/// A caller may only grant permissions it holds itself (Elsa's role authorization), so a
/// `create:role` holder cannot mint a `*` role. Without identity, anyone may.
fn may_grant(principal: Option<&Principal>, permissions: &[String]) -> Result<(), ApiError> {
    let Some(principal) = principal else {
        return Ok(());
    };
    match permissions
        .iter()
        .find(|p| !permissions::allows(&principal.permissions, &[p.as_str()]))
    {
        None => Ok(()),
        Some(p) => Err(ApiError::forbidden(format!(
            "you cannot grant permission '{p}', which you do not hold"
        ))),
    }
}

/// Id from the name when none is given: lower case, runs of other characters as one `-`.
fn role_id(name: &str) -> String {
    let mut id = String::new();
    for c in name.trim().chars() {
        if c.is_alphanumeric() {
            id.extend(c.to_lowercase());
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_matches('-').to_owned()
}

#[utoipa::path(post, path = "/identity/roles", tag = "identity",
    request_body(content = RoleBody, description = "Without an id, one is made from the name"),
    responses((status = 200, description = "The role", body = RoleModel),
        (status = 400, description = "Invalid role"), (status = 409, description = "The id is taken")))]
async fn create_role(
    State(identity): State<SharedIdentity>,
    principal: Option<Extension<Principal>>,
    LenientJson(body): LenientJson<RoleBody>,
) -> Result<Json<RoleModel>, ApiError> {
    let name = body
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("'name' is required"))?;
    let permissions = body.permissions.unwrap_or_default();
    may_grant(principal.as_deref(), &permissions)?;
    let id = body
        .id
        .map(|i| i.trim().to_owned())
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| role_id(&name));
    if id.is_empty() {
        return Err(ApiError::bad_request(
            "'id' is required when 'name' has no letters or digits",
        ));
    }
    let role = Role {
        id,
        name,
        permissions,
        tenant_id: None,
    };
    if !identity.store.insert_role(&role).await? {
        return Err(ApiError::conflict(format!(
            "a role with id '{}' already exists",
            role.id
        )));
    }
    Ok(Json(role_json(role)))
}

#[utoipa::path(put, path = "/identity/roles/{id}", tag = "identity",
    params(("id" = String, Path)),
    request_body(content = RoleBody, description = "`name` and `permissions`; absent ones stay"),
    responses((status = 200, description = "The role", body = RoleModel), (status = 404, description = "No such role")))]
async fn update_role(
    State(identity): State<SharedIdentity>,
    principal: Option<Extension<Principal>>,
    Path(id): Path<String>,
    LenientJson(body): LenientJson<RoleBody>,
) -> Result<Json<RoleModel>, ApiError> {
    let mut role = identity
        .store
        .role_by_id(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no role with id '{id}'")))?;
    if let Some(name) = body.name.filter(|n| !n.trim().is_empty()) {
        role.name = name.trim().to_owned();
    }
    if let Some(permissions) = body.permissions {
        may_grant(principal.as_deref(), &permissions)?;
        role.permissions = permissions;
    }
    if !identity.store.update_role(&role).await? {
        return Err(ApiError::not_found(format!("no role with id '{id}'")));
    }
    Ok(Json(role_json(role)))
}

#[utoipa::path(delete, path = "/identity/roles/{id}", tag = "identity",
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such role")))]
async fn delete_role(
    State(identity): State<SharedIdentity>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    match identity.store.delete_role(&id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::not_found(format!("no role with id '{id}'"))),
    }
}

/// `{name, roles?}`.
#[derive(Deserialize, ToSchema)]
struct ApplicationBody {
    name: Option<String>,
    roles: Option<Vec<String>>,
}

/// A new application as Elsa answers it: with its client secret and API key, this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreatedApplication {
    id: String,
    name: String,
    roles: Vec<String>,
    client_id: String,
    client_secret: String,
    api_key: String,
    hashed_api_key: String,
    hashed_api_key_salt: String,
    hashed_client_secret: String,
    hashed_client_secret_salt: String,
}

/// Creates an API-key client; the response shows its client secret and API key, once.
#[utoipa::path(post, path = "/identity/applications", tag = "identity",
    request_body(content = ApplicationBody),
    responses((status = 200, description = "The application with its client secret and API key, once", body = CreatedApplication),
        (status = 400, description = "Invalid application")))]
async fn create_application(
    State(identity): State<SharedIdentity>,
    LenientJson(body): LenientJson<ApplicationBody>,
) -> Result<Json<CreatedApplication>, ApiError> {
    let name = body
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("'name' is required"))?;
    let client_id = random::id();
    let client_secret = random::secret(32);
    let api_key = random::api_key(&client_id);
    let hashed_secret = hash(client_secret.clone()).await?;
    let hashed_key = hash(api_key.clone()).await?;
    let app = Application {
        id: random::id(),
        client_id,
        name,
        hashed_client_secret: hashed_secret.secret,
        hashed_client_secret_salt: hashed_secret.salt,
        hashed_api_key: hashed_key.secret,
        hashed_api_key_salt: hashed_key.salt,
        roles: body.roles.unwrap_or_default(),
        tenant_id: None,
    };
    if !identity.store.insert_application(&app).await? {
        return Err(ApiError::conflict(
            "an application with that id already exists",
        ));
    }
    Ok(Json(CreatedApplication {
        id: app.id,
        name: app.name,
        roles: app.roles,
        client_id: app.client_id,
        client_secret,
        api_key,
        hashed_api_key: app.hashed_api_key,
        hashed_api_key_salt: app.hashed_api_key_salt,
        hashed_client_secret: app.hashed_client_secret,
        hashed_client_secret_salt: app.hashed_client_secret_salt,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_ids_from_names() {
        assert_eq!(role_id(" Workflow Editors "), "workflow-editors");
        assert_eq!(role_id("a__b"), "a-b");
        assert_eq!(role_id("!!"), "");
    }

    #[test]
    fn grants_are_limited_to_held_permissions() {
        let p = Principal {
            name: "x".into(),
            permissions: vec!["create:role".into(), "read:user".into()],
        };
        assert!(may_grant(Some(&p), &["read:user".into()]).is_ok());
        assert!(may_grant(Some(&p), &["*".into()]).is_err());
        assert!(may_grant(None, &["*".into()]).is_ok());
    }
}
