//! Elsa Identity (module Management): users, roles and applications.
//!
//! Secrets arrive already hashed (the API layer owns Elsa's hash format); this store only keeps
//! and finds rows. Names of users and client ids of applications are unique.

use crate::{Database, Result, with_pool};
use sqlx::types::Json;

/// A user who logs in with a password. `roles` are role ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub hashed_password: String,
    pub hashed_password_salt: String,
    pub roles: Vec<String>,
    pub tenant_id: Option<String>,
}

/// A named set of permissions (`*` grants all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub permissions: Vec<String>,
    pub tenant_id: Option<String>,
}

/// A client that authenticates with an API key (or client id and secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub hashed_client_secret: String,
    pub hashed_client_secret_salt: String,
    pub hashed_api_key: String,
    pub hashed_api_key_salt: String,
    pub roles: Vec<String>,
    pub tenant_id: Option<String>,
}

type UserRow = (
    String,
    String,
    String,
    String,
    Json<Vec<String>>,
    Option<String>,
);
type RoleRow = (String, String, Json<Vec<String>>, Option<String>);
type ApplicationRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Json<Vec<String>>,
    Option<String>,
);

const USER_COLUMNS: &str = "id, name, hashed_password, hashed_password_salt, roles, tenant_id";
const ROLE_COLUMNS: &str = "id, name, permissions, tenant_id";
const APPLICATION_COLUMNS: &str = "id, client_id, name, hashed_client_secret, hashed_client_secret_salt, hashed_api_key, hashed_api_key_salt, roles, tenant_id";

fn user((id, name, hashed_password, hashed_password_salt, roles, tenant_id): UserRow) -> User {
    User {
        id,
        name,
        hashed_password,
        hashed_password_salt,
        roles: roles.0,
        tenant_id,
    }
}

fn role((id, name, permissions, tenant_id): RoleRow) -> Role {
    Role {
        id,
        name,
        permissions: permissions.0,
        tenant_id,
    }
}

fn application(row: ApplicationRow) -> Application {
    let (id, client_id, name, secret, secret_salt, api_key, api_key_salt, roles, tenant_id) = row;
    Application {
        id,
        client_id,
        name,
        hashed_client_secret: secret,
        hashed_client_secret_salt: secret_salt,
        hashed_api_key: api_key,
        hashed_api_key_salt: api_key_salt,
        roles: roles.0,
        tenant_id,
    }
}

#[derive(Clone, Debug)]
pub struct IdentityStore {
    db: Database,
}

impl IdentityStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM \"Elsa_Users\" ORDER BY name");
        let rows: Vec<UserRow> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(user).collect())
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        self.one_user("name", name).await
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        self.one_user("id", id).await
    }

    async fn one_user(&self, column: &'static str, value: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM \"Elsa_Users\" WHERE {column} = $1");
        let row: Option<UserRow> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(value)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(user))
    }

    /// Inserts a user unless one with that id or name exists; true if this call stored it.
    pub async fn insert_user(&self, u: &User) -> Result<bool> {
        let sql = format!(
            "INSERT INTO \"Elsa_Users\" ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
        );
        let inserted = with_pool!(&self.db, write, |p| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(&u.id)
                .bind(&u.name)
                .bind(&u.hashed_password)
                .bind(&u.hashed_password_salt)
                .bind(Json(&u.roles))
                .bind(&u.tenant_id)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Replaces the password hash and roles of a stored user; false if there is none.
    pub async fn update_user(&self, u: &User) -> Result<bool> {
        let updated = with_pool!(&self.db, write, |p| {
            sqlx::query(
                "UPDATE \"Elsa_Users\" SET hashed_password = $2, hashed_password_salt = $3, roles = $4 WHERE id = $1",
            )
            .bind(&u.id)
            .bind(&u.hashed_password)
            .bind(&u.hashed_password_salt)
            .bind(Json(&u.roles))
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(updated == 1)
    }

    pub async fn delete_user(&self, id: &str) -> Result<bool> {
        self.delete("Elsa_Users", id).await
    }

    /// Every role, by name.
    pub async fn roles(&self) -> Result<Vec<Role>> {
        let sql = format!("SELECT {ROLE_COLUMNS} FROM \"Elsa_Roles\" ORDER BY name");
        let rows: Vec<RoleRow> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(role).collect())
    }

    /// The roles among `ids` that exist (unknown ids are skipped, as Elsa's role provider does).
    pub async fn roles_by_ids(&self, ids: &[String]) -> Result<Vec<Role>> {
        let mut roles = self.roles().await?;
        roles.retain(|r| ids.contains(&r.id));
        Ok(roles)
    }

    pub async fn role_by_id(&self, id: &str) -> Result<Option<Role>> {
        let sql = format!("SELECT {ROLE_COLUMNS} FROM \"Elsa_Roles\" WHERE id = $1");
        let row: Option<RoleRow> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(role))
    }

    /// Inserts a role unless one with that id exists; true if this call stored it.
    pub async fn insert_role(&self, r: &Role) -> Result<bool> {
        let sql = format!(
            "INSERT INTO \"Elsa_Roles\" ({ROLE_COLUMNS}) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
        );
        let inserted = with_pool!(&self.db, write, |p| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(&r.id)
                .bind(&r.name)
                .bind(Json(&r.permissions))
                .bind(&r.tenant_id)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Replaces the name and permissions of a stored role; false if there is none.
    pub async fn update_role(&self, r: &Role) -> Result<bool> {
        let updated = with_pool!(&self.db, write, |p| {
            sqlx::query("UPDATE \"Elsa_Roles\" SET name = $2, permissions = $3 WHERE id = $1")
                .bind(&r.id)
                .bind(&r.name)
                .bind(Json(&r.permissions))
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(updated == 1)
    }

    pub async fn delete_role(&self, id: &str) -> Result<bool> {
        self.delete("Elsa_Roles", id).await
    }

    pub async fn application_by_client_id(&self, client_id: &str) -> Result<Option<Application>> {
        let sql =
            format!("SELECT {APPLICATION_COLUMNS} FROM \"Elsa_Applications\" WHERE client_id = $1");
        let row: Option<ApplicationRow> = with_pool!(&self.db, read, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(client_id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(application))
    }

    /// Inserts an application unless one with that id or client id exists; true if stored.
    pub async fn insert_application(&self, a: &Application) -> Result<bool> {
        let sql = format!(
            "INSERT INTO \"Elsa_Applications\" ({APPLICATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
        );
        let inserted = with_pool!(&self.db, write, |p| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(&a.id)
                .bind(&a.client_id)
                .bind(&a.name)
                .bind(&a.hashed_client_secret)
                .bind(&a.hashed_client_secret_salt)
                .bind(&a.hashed_api_key)
                .bind(&a.hashed_api_key_salt)
                .bind(Json(&a.roles))
                .bind(&a.tenant_id)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(inserted == 1)
    }

    async fn delete(&self, table: &'static str, id: &str) -> Result<bool> {
        let sql = format!("DELETE FROM \"{table}\" WHERE id = $1");
        let deleted = with_pool!(&self.db, write, |p| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(deleted == 1)
    }
}
