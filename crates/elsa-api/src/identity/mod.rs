//! Elsa Identity: who is calling (`Authorization: Bearer <JWT>` or `Authorization: ApiKey <key>`)
//! and whether their permissions allow the route ([`permissions`]). Users, roles and applications
//! live in the Management database; passwords and keys are hashed in Elsa's format
//! (`elsa-secrets`), so an Elsa database's users can log in here.

mod api_keys;
pub mod lockout;
mod middleware;
pub mod permissions;
pub mod random;
mod routes;
pub mod tokens;

use crate::problem::ApiError;
use axum::http::StatusCode;
use elsa_store::{ApiKeyStore, IdentityStore, Role, User};
use std::sync::{Arc, LazyLock};
use tokio::task::JoinHandle;

pub use api_keys::hash_key;
use elsa_secrets::HashedSecret;
pub use lockout::{ClientAddr, LockoutOptions};
pub use middleware::authorize;
pub use routes::routes;
pub use tokens::TokenOptions;
use tokens::{Subject, TokenUse, Tokens};

/// Who made a request, once authenticated.
#[derive(Debug, Clone)]
pub struct Principal {
    pub name: String,
    pub permissions: Vec<String>,
}

impl Principal {
    /// The configured or generated admin API key: Elsa's admin API-key identity, permission `*`.
    fn admin_key() -> Self {
        Self {
            name: "admin".into(),
            permissions: vec!["*".into()],
        }
    }

    fn may(&self, required: &[&str]) -> bool {
        permissions::allows(&self.permissions, required)
    }
}

/// Identity settings the server resolves from configuration.
pub struct IdentityOptions {
    /// `Elsa:Identity:Enabled`; false makes every route anonymous.
    pub enabled: bool,
    pub tokens: TokenOptions,
    /// `Elsa:Identity:ApiKey`, granting `*`.
    pub api_key: Option<String>,
    /// `Elsa:Identity:Lockout:*`: how many failed authentications lock a client out.
    pub lockout: LockoutOptions,
}

/// Tokens issued by a successful login or refresh.
#[derive(Debug)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
}

pub struct Identity {
    enabled: bool,
    tokens: Tokens,
    store: IdentityStore,
    api_keys: api_keys::ApiKeys,
    lockout: lockout::Lockout,
    /// Write-held while the first-start admin is being stored (its password hash, 600,000
    /// PBKDF2 rounds, is not waited for by readiness): logins wait on it, so the admin's first
    /// login is judged against the stored user, never against a missing one.
    admin_pending: Arc<tokio::sync::RwLock<()>>,
}

/// Compared against when a login names no stored user, so a wrong user name takes as long as a
/// wrong password and response times do not reveal which user names exist.
static DUMMY_HASH: LazyLock<HashedSecret> = LazyLock::new(|| elsa_secrets::hash("no such user"));

impl Identity {
    pub fn new(
        options: IdentityOptions,
        store: IdentityStore,
        generated_keys: ApiKeyStore,
    ) -> Self {
        Self {
            enabled: options.enabled,
            tokens: Tokens::new(options.tokens),
            api_keys: api_keys::ApiKeys::new(
                options.api_key.as_deref(),
                generated_keys,
                store.clone(),
            ),
            store,
            lockout: lockout::Lockout::new(options.lockout),
            admin_pending: Arc::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The principal an `Authorization` header names, or a 401 saying what is wrong; 429 while
    /// the client address is locked out. A wrong API key or a token not signed with our key
    /// counts towards the lockout.
    async fn authenticate(
        &self,
        client: ClientAddr,
        header: Option<&str>,
    ) -> Result<Principal, ApiError> {
        const HOW: &str =
            "send 'Authorization: Bearer <access token>' or 'Authorization: ApiKey <key>'";
        let header = header.ok_or_else(|| {
            ApiError::unauthorized(format!("missing Authorization header; {HOW}"))
        })?;
        let (scheme, credential) = header
            .trim()
            .split_once(' ')
            .map(|(s, c)| (s, c.trim()))
            .ok_or_else(|| {
                ApiError::unauthorized(format!("malformed Authorization header; {HOW}"))
            })?;
        if scheme.eq_ignore_ascii_case("ApiKey") {
            self.lockout.check(client)?;
            return match self.api_keys.authenticate(credential).await? {
                Some(principal) => Ok(principal),
                None => {
                    self.lockout.record_failure(client);
                    Err(ApiError::unauthorized("the API key is not valid"))
                }
            };
        }
        if scheme.eq_ignore_ascii_case("Bearer") {
            self.lockout.check(client)?;
            let claims = self.checked_token(client, credential, TokenUse::Access)?;
            return Ok(Principal {
                name: claims.name,
                permissions: claims.permissions,
            });
        }
        Err(ApiError::unauthorized(format!(
            "unsupported Authorization scheme '{scheme}'; {HOW}"
        )))
    }

    /// The permissions of the caller an `Authorization` header names, for routes anyone may
    /// call but whose workflow may ask for a caller (`Elsa.HttpEndpoint`'s `authorize`):
    /// credentials that do not authenticate make an anonymous caller, as in ASP.NET (a
    /// failure still counts towards the lockout).
    pub async fn caller(&self, client: ClientAddr, header: Option<&str>) -> Option<Vec<String>> {
        if !self.enabled {
            return None;
        }
        let principal = self.authenticate(client, Some(header?)).await.ok()?;
        Some(principal.permissions)
    }

    /// A token's claims, or a 401; a token that may be a guess counts towards the lockout.
    fn checked_token(
        &self,
        client: ClientAddr,
        token: &str,
        token_use: TokenUse,
    ) -> Result<tokens::Claims, ApiError> {
        self.tokens.check(token, token_use).map_err(|rejection| {
            if rejection.suspicious {
                self.lockout.record_failure(client);
            }
            token_error(rejection)
        })
    }

    /// Signs and verifies tokens with `secret` unless a signing key is configured; true when
    /// `secret` is the key now in use. The server gives the key its cluster shares.
    pub fn use_signing_key(&self, secret: &[u8]) -> bool {
        self.tokens.use_key(secret)
    }

    /// Whether a signing key is in use (configured, or given by [`Self::use_signing_key`]).
    pub fn has_signing_key(&self) -> bool {
        self.tokens.has_key()
    }

    /// Elsa's login: None for an unknown user or a wrong password; 429 while the client address
    /// or the user name is locked out by earlier failures.
    async fn login(
        &self,
        client: ClientAddr,
        name: &str,
        password: &str,
    ) -> Result<Option<IssuedTokens>, ApiError> {
        // Admitted before the password check, so a locked-out client costs no hashing; the
        // attempt counts as a failure unless it succeeds.
        let attempt = self.lockout.admit_login(client, name)?;
        drop(self.admin_pending.read().await);
        let user = match self.store.user_by_name(name).await {
            Ok(user) => user,
            Err(e) => {
                // The database failed, not the client.
                attempt.release();
                return Err(e.into());
            }
        };
        let stored = user.as_ref().map(|u| HashedSecret {
            secret: u.hashed_password.clone(),
            salt: u.hashed_password_salt.clone(),
        });
        let password = password.to_owned();
        // The dummy hash is made (once) here too: hashing never runs on the async threads.
        let matches = tokio::task::spawn_blocking(move || {
            elsa_secrets::verify(&password, stored.as_ref().unwrap_or(&DUMMY_HASH))
        })
        .await
        .map_err(|e| ApiError::internal(format!("password check failed: {e}")))?;
        match user {
            Some(user) if matches => {
                attempt.release();
                self.issue(&user).await.map(Some)
            }
            _ => Ok(None),
        }
    }

    /// New tokens for the user a refresh token names, with their current roles. A refresh token
    /// not signed with our key counts towards the client address's lockout.
    async fn refresh(
        &self,
        client: ClientAddr,
        header: Option<&str>,
    ) -> Result<Option<IssuedTokens>, ApiError> {
        let token = header
            .and_then(|h| h.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "send the refresh token as 'Authorization: Bearer <refresh token>'",
                )
            })?;
        self.lockout.check(client)?;
        let claims = self.checked_token(client, token, TokenUse::Refresh)?;
        match self.store.user_by_name(&claims.name).await? {
            Some(user) => self.issue(&user).await.map(Some),
            None => Ok(None),
        }
    }

    async fn issue(&self, user: &User) -> Result<IssuedTokens, ApiError> {
        let roles = self.store.roles_by_ids(&user.roles).await?;
        let (access_token, refresh_token) = self
            .tokens
            .issue(&Subject {
                id: &user.id,
                name: &user.name,
                roles: roles.iter().map(|r| r.name.clone()).collect(),
                permissions: permissions_of(&roles),
            })
            .map_err(token_error)?;
        Ok(IssuedTokens {
            access_token,
            refresh_token,
        })
    }

    /// First start: with no user stored, creates role `admin` (permission `*`) and starts
    /// storing user `name` in it. Hashing the password is left to the returned task, so the
    /// server can be ready meanwhile; logins wait for it. The task yields the password when it
    /// was generated here and stored, for the caller to show once.
    pub async fn ensure_admin(
        &self,
        name: &str,
        password: Option<&str>,
    ) -> elsa_store::Result<Option<JoinHandle<elsa_store::Result<Option<String>>>>> {
        if !self.store.users().await?.is_empty() {
            return Ok(None);
        }
        self.store
            .insert_role(&Role {
                id: ADMIN_ROLE.into(),
                name: ADMIN_ROLE.into(),
                permissions: vec!["*".into()],
                tenant_id: None,
            })
            .await?;
        // Held before this returns, so no login can slip in before the task starts; released
        // when the task ends, however it ends.
        let pending = self.admin_pending.clone().write_owned().await;
        let store = self.store.clone();
        let name = name.to_owned();
        let generated = password.is_none().then(|| random::secret(24));
        let clear = password
            .or(generated.as_deref())
            .unwrap_or_default()
            .to_owned();
        Ok(Some(tokio::spawn(async move {
            let _pending = pending;
            let hashed = tokio::task::spawn_blocking(move || elsa_secrets::hash(&clear))
                .await
                .expect("hashing does not panic");
            let stored = store
                .insert_user(&User {
                    id: random::id(),
                    name,
                    hashed_password: hashed.secret,
                    hashed_password_salt: hashed.salt,
                    roles: vec![ADMIN_ROLE.into()],
                    tenant_id: None,
                })
                .await?;
            // Another node starting at the same time may have won; then its password stands.
            Ok(generated.filter(|_| stored))
        })))
    }
}

const ADMIN_ROLE: &str = "admin";

/// 503 while the server cannot judge tokens yet, else 401.
fn token_error(rejection: tokens::TokenRejection) -> ApiError {
    if rejection.unavailable {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, rejection.message)
    } else {
        ApiError::unauthorized(rejection.message)
    }
}

/// Every permission the roles grant, each once.
fn permissions_of(roles: &[Role]) -> Vec<String> {
    let mut permissions: Vec<String> = Vec::new();
    for p in roles.iter().flat_map(|r| &r.permissions) {
        if !permissions.contains(p) {
            permissions.push(p.clone());
        }
    }
    permissions
}

/// Shared by the identity routes and the middleware.
pub type SharedIdentity = Arc<Identity>;

#[cfg(test)]
mod tests {
    use super::*;
    use elsa_store::{Database, DbSettings, Module, SqliteSettings, migrate};

    /// Identity over a fresh in-memory Management database.
    async fn identity() -> Identity {
        let settings = DbSettings::Sqlite(SqliteSettings {
            filename: ":memory:".into(),
            ..Default::default()
        });
        let db = Database::connect(&settings).await.unwrap();
        migrate::migrate(&settings, &db, Module::Management, &mut |_| {})
            .await
            .unwrap();
        Identity::new(
            IdentityOptions {
                enabled: true,
                tokens: TokenOptions {
                    signing_key: Some(b"test-signing-key-0123456789abcdefghijklmnop".to_vec()),
                    issuer: "http://elsa.api".into(),
                    audience: "http://elsa.api".into(),
                    access_token_lifetime: std::time::Duration::from_secs(60),
                    refresh_token_lifetime: std::time::Duration::from_secs(60),
                },
                api_key: None,
                lockout: LockoutOptions::default(),
            },
            IdentityStore::new(db.clone()),
            ApiKeyStore::new(db),
        )
    }

    #[tokio::test]
    async fn a_login_while_the_first_admin_is_being_stored_waits_for_it() {
        let identity = identity().await;
        let stored = identity
            .ensure_admin("admin", Some("Adm1n-pw"))
            .await
            .unwrap()
            .expect("no user is stored yet");
        // On this single-threaded runtime the task has not even started hashing.
        assert!(!stored.is_finished());
        let client = ClientAddr(None);
        let (right, wrong, nobody) = tokio::join!(
            identity.login(client, "admin", "Adm1n-pw"),
            identity.login(client, "admin", "not-the-password"),
            identity.login(client, "nobody", "Adm1n-pw"),
        );
        assert!(right.unwrap().is_some(), "the right password signs in");
        assert!(wrong.unwrap().is_none(), "a wrong password never does");
        assert!(nobody.unwrap().is_none());
        assert_eq!(
            stored.await.unwrap().unwrap(),
            None,
            "the password was given"
        );
        assert!(
            identity
                .ensure_admin("admin", None)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_generated_admin_password_is_yielded_once_stored() {
        let identity = identity().await;
        let stored = identity.ensure_admin("root", None).await.unwrap().unwrap();
        let password = stored.await.unwrap().unwrap().expect("generated");
        let tokens = identity.login(ClientAddr(None), "root", &password).await;
        assert!(tokens.unwrap().is_some());
    }
}
