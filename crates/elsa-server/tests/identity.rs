//! Elsa Identity end to end, against the real server: login and refresh, the auth matrix
//! (401/403), users, roles and applications, Elsa-made password hashes, admin bootstrap,
//! anonymous mode, the Production refusals, the lockout after failed authentications and
//! tokens from the future.

mod common;

use common::{API_KEY, SIGNING_KEY, Server, eventually, run, text};
use elsa_store::{Database, DbSettings, IdentityStore, SqliteSettings, User};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ADMIN_PASSWORD: &str = "Adm1n-test-password";

fn start(dir: &Path, extra: &[(&str, &str)]) -> Server {
    let mut env = vec![("Elsa__Identity__AdminPassword", ADMIN_PASSWORD)];
    env.extend_from_slice(extra);
    Server::start(dir, &env)
}

fn bearer(req: RequestBuilder, token: &str) -> RequestBuilder {
    req.header("Authorization", format!("Bearer {token}"))
}

async fn json_of(resp: Response, status: u16) -> Value {
    let actual = resp.status();
    let body = resp.text().await.unwrap();
    assert_eq!(actual, status, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn login(server: &Server, username: &str, password: &str) -> Value {
    let resp = Client::new()
        .post(server.url("/elsa/api/identity/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    json_of(resp, 200).await
}

async fn access_token(server: &Server, username: &str, password: &str) -> String {
    let body = login(server, username, password).await;
    assert_eq!(body["isAuthenticated"], true, "{username}: {body}");
    body["accessToken"].as_str().unwrap().to_owned()
}

async fn status(req: RequestBuilder) -> u16 {
    req.send().await.unwrap().status().as_u16()
}

/// A token signed with the server's key, of the given use, that expired a second ago.
fn expired_access_token() -> String {
    use elsa_api::identity::tokens::{Subject, TokenOptions, Tokens};
    let tokens = Tokens::new(TokenOptions {
        signing_key: Some(SIGNING_KEY.as_bytes().to_vec()),
        issuer: "http://elsa.api".into(),
        audience: "http://elsa.api".into(),
        access_token_lifetime: Duration::ZERO,
        refresh_token_lifetime: Duration::ZERO,
    });
    let (access, _) = tokens
        .issue(&Subject {
            id: "x",
            name: "admin",
            roles: vec![],
            permissions: vec!["*".into()],
        })
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    access
}

#[tokio::test]
async fn login_refresh_and_the_auth_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    server.wait_ready().await;
    let definitions = server.url("/elsa/api/workflow-definitions");
    let client = Client::new();

    // Login answers 200 either way; missing fields are a 400 naming the field.
    let wrong = login(&server, "admin", "not-the-password").await;
    assert_eq!(wrong, json!({"isAuthenticated": false}));
    assert_eq!(
        login(&server, "nobody", ADMIN_PASSWORD).await["isAuthenticated"],
        false
    );
    let resp = client
        .post(server.url("/elsa/api/identity/login"))
        .json(&json!({"username": "admin"}))
        .send()
        .await
        .unwrap();
    assert!(
        json_of(resp, 400).await["detail"]
            .as_str()
            .unwrap()
            .contains("password")
    );

    let tokens = login(&server, " admin ", ADMIN_PASSWORD).await;
    assert_eq!(tokens["isAuthenticated"], true);
    let access = tokens["accessToken"].as_str().unwrap();
    let refresh = tokens["refreshToken"].as_str().unwrap();
    assert_eq!(status(bearer(client.get(&definitions), access)).await, 200);

    // The matrix: each of these is refused with 401.
    assert_eq!(
        status(client.get(&definitions)).await,
        401,
        "no credentials"
    );
    let resp = client
        .get(&definitions)
        .header("Authorization", "ApiKey not-a-key")
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(resp, 401).await["detail"],
        "the API key is not valid"
    );
    assert_eq!(
        status(bearer(client.get(&definitions), "garbage")).await,
        401
    );
    assert_eq!(
        status(bearer(client.get(&definitions), refresh)).await,
        401,
        "a refresh token is not an access token"
    );
    let resp = bearer(client.get(&definitions), &expired_access_token())
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(resp, 401).await["detail"], "the token has expired");
    let resp = client
        .get(&definitions)
        .header("Authorization", "Basic YWRtaW46cGFzc3dvcmQ=")
        .send()
        .await
        .unwrap();
    assert!(
        json_of(resp, 401).await["detail"]
            .as_str()
            .unwrap()
            .contains("unsupported")
    );

    // Refresh takes only a refresh token and issues a new pair that works.
    let refresh_url = server.url("/elsa/api/identity/refresh-token");
    assert_eq!(status(bearer(client.post(&refresh_url), access)).await, 401);
    assert_eq!(status(client.post(&refresh_url)).await, 401);
    let resp = bearer(client.post(&refresh_url), refresh)
        .send()
        .await
        .unwrap();
    let renewed = json_of(resp, 200).await;
    assert_eq!(renewed["isAuthenticated"], true);
    let renewed_access = renewed["accessToken"].as_str().unwrap();
    assert_eq!(
        status(bearer(client.get(&definitions), renewed_access)).await,
        200
    );

    // Anonymous routes stay anonymous.
    let resp = client
        .post(server.url("/elsa/api/identity/login"))
        .json(&json!({"username": "admin", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // Secrets never reach the log.
    let log = server.log();
    assert!(!log.contains(ADMIN_PASSWORD), "{log}");
    assert!(!log.contains(SIGNING_KEY), "{log}");
    assert!(!log.contains(access), "{log}");
}

#[tokio::test]
async fn users_roles_and_applications_grant_exactly_their_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    server.wait_ready().await;
    let client = Client::new();
    let admin = access_token(&server, "admin", ADMIN_PASSWORD).await;
    let url = |p: &str| server.url(&format!("/elsa/api{p}"));

    let resp = bearer(client.post(url("/identity/roles")), &admin)
        .json(&json!({"name": "Definition Readers", "permissions": ["read:workflow-definitions"]}))
        .send()
        .await
        .unwrap();
    let role = json_of(resp, 200).await;
    assert_eq!(role["id"], "definition-readers");
    let resp = bearer(client.post(url("/identity/roles")), &admin)
        .json(&json!({"id": "definition-readers", "name": "again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);

    let resp = bearer(client.post(url("/identity/users")), &admin)
        .json(
            &json!({"name": "bob", "password": "bob-password-1", "roles": ["definition-readers"]}),
        )
        .send()
        .await
        .unwrap();
    let bob = json_of(resp, 200).await;
    assert_eq!(bob["password"], "bob-password-1");
    assert!(bob["hashedPassword"].as_str().is_some());
    let bob_id = bob["id"].as_str().unwrap().to_owned();
    let resp = bearer(client.post(url("/identity/users")), &admin)
        .json(&json!({"name": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
    // A user created without a password gets a generated one, shown once.
    let resp = bearer(client.post(url("/identity/users")), &admin)
        .json(&json!({"name": "carol"}))
        .send()
        .await
        .unwrap();
    let carol = json_of(resp, 200).await;
    let carol_password = carol["password"].as_str().unwrap();
    assert_eq!(carol_password.len(), 32);
    assert_eq!(
        login(&server, "carol", carol_password).await["isAuthenticated"],
        true
    );

    // bob may read definitions and nothing else: 403 names what is missing.
    let token = access_token(&server, "bob", "bob-password-1").await;
    assert_eq!(
        status(bearer(client.get(url("/workflow-definitions")), &token)).await,
        200
    );
    let resp = bearer(client.post(url("/workflow-definitions")), &token)
        .json(&json!({"model": {}}))
        .send()
        .await
        .unwrap();
    let forbidden = json_of(resp, 403).await;
    assert!(
        forbidden["detail"]
            .as_str()
            .unwrap()
            .contains("write:workflow-definitions"),
        "{forbidden}"
    );
    assert_eq!(
        status(bearer(client.get(url("/identity/users")), &token)).await,
        403
    );
    assert_eq!(
        status(bearer(client.get(url("/workflow-instances")), &token)).await,
        403
    );

    // An application's API key carries its roles' permissions.
    let resp = bearer(client.post(url("/identity/applications")), &admin)
        .json(&json!({"name": "CI", "roles": ["definition-readers"]}))
        .send()
        .await
        .unwrap();
    let app = json_of(resp, 200).await;
    let api_key = app["apiKey"].as_str().unwrap();
    let client_id = app["clientId"].as_str().unwrap();
    assert!(
        api_key.starts_with(&format!("{}-", hex_upper(client_id))),
        "{app}"
    );
    for _ in 0..2 {
        // The second call is answered from the verified-key cache.
        let resp = client
            .get(url("/workflow-definitions"))
            .header("Authorization", format!("ApiKey {api_key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let resp = client
        .get(url("/workflow-instances"))
        .header("Authorization", format!("ApiKey {api_key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let tampered = format!("{}x", &api_key[..api_key.len() - 1]);
    let resp = client
        .get(url("/workflow-definitions"))
        .header("Authorization", format!("ApiKey {tampered}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // A role holder cannot grant what it does not hold.
    let resp = bearer(client.post(url("/identity/roles")), &admin)
        .json(&json!({"id": "role-admins", "name": "Role admins", "permissions": ["create:role"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = bearer(
        client.put(url(&format!("/identity/users/{bob_id}"))),
        &admin,
    )
    .json(&json!({"roles": ["role-admins"]}))
    .send()
    .await
    .unwrap();
    assert_eq!(json_of(resp, 200).await["roles"], json!(["role-admins"]));
    let token = access_token(&server, "bob", "bob-password-1").await;
    let resp = bearer(client.post(url("/identity/roles")), &token)
        .json(&json!({"name": "Everything", "permissions": ["*"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);

    // Lists, update and delete.
    let resp = bearer(client.get(url("/identity/users")), &admin)
        .send()
        .await
        .unwrap();
    let users = json_of(resp, 200).await;
    let names: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "bob", "carol"]);
    assert!(users["users"][0].get("hashedPassword").is_none());
    let resp = bearer(
        client.put(url("/identity/roles/definition-readers")),
        &admin,
    )
    .json(&json!({"permissions": ["read:workflow-definitions", "read:workflow-instances"]}))
    .send()
    .await
    .unwrap();
    assert_eq!(json_of(resp, 200).await["name"], "Definition Readers");
    let resp = bearer(client.get(url("/identity/roles")), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(resp, 200).await["roles"].as_array().unwrap().len(),
        3
    );
    let user_url = url(&format!("/identity/users/{bob_id}"));
    assert_eq!(status(bearer(client.delete(&user_url), &admin)).await, 204);
    assert_eq!(status(bearer(client.delete(&user_url), &admin)).await, 404);
    assert_eq!(
        login(&server, "bob", "bob-password-1").await["isAuthenticated"],
        false
    );
    let role_url = url("/identity/roles/role-admins");
    assert_eq!(status(bearer(client.delete(&role_url), &admin)).await, 204);
    assert_eq!(status(bearer(client.delete(&role_url), &admin)).await, 404);
    let resp = bearer(client.put(url("/identity/users/nope")), &admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

fn hex_upper(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02X}")).collect()
}

/// Hashes as Elsa's `DefaultSecretHasher` stores them, computed outside elsa-rs with Python's
/// `hashlib`: salt = bytes 0..32, `pbkdf2_hmac('sha256', b'Elsa-Pa55word!', salt, 600000)`,
/// stored as base64("pbkdf2-sha256$600000$" + base64(key)); and the legacy form,
/// base64(sha256(b'Legacy-Pa55!' + b'legacy-salt-0123')).
const ELSA_PBKDF2_HASH: &str =
    "cGJrZGYyLXNoYTI1NiQ2MDAwMDAkQUhFaFg3UFo5NGJLQ1I1V0loSWJWQ1pJNUVhSHRzSWVGWWNnTjUvcklhYz0=";
const ELSA_PBKDF2_SALT: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ELSA_LEGACY_HASH: &str = "0mL7Sh/K02jpoD0VWCFN1NCphfonMI4ZtMosODq8B+s=";
const ELSA_LEGACY_SALT: &str = "bGVnYWN5LXNhbHQtMDEyMw==";

#[tokio::test]
async fn users_hashed_by_elsa_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    server.wait_ready().await;
    let db = Database::connect(&DbSettings::Sqlite(SqliteSettings {
        filename: dir
            .path()
            .join("data/elsa.db")
            .to_string_lossy()
            .into_owned(),
        ..Default::default()
    }))
    .await
    .unwrap();
    let store = IdentityStore::new(db.clone());
    for (name, hash, salt) in [
        ("elsa-user", ELSA_PBKDF2_HASH, ELSA_PBKDF2_SALT),
        ("legacy-user", ELSA_LEGACY_HASH, ELSA_LEGACY_SALT),
    ] {
        let user = User {
            id: name.into(),
            name: name.into(),
            hashed_password: hash.into(),
            hashed_password_salt: salt.into(),
            roles: vec!["admin".into()],
            tenant_id: None,
        };
        assert!(store.insert_user(&user).await.unwrap());
    }
    db.close().await;
    let token = access_token(&server, "elsa-user", "Elsa-Pa55word!").await;
    let resp = bearer(
        Client::new().get(server.url("/elsa/api/identity/users")),
        &token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        login(&server, "elsa-user", "elsa-pa55word!").await["isAuthenticated"],
        false
    );
    assert_eq!(
        login(&server, "legacy-user", "Legacy-Pa55!").await["isAuthenticated"],
        true
    );
    assert_eq!(
        login(&server, "legacy-user", "Legacy-Pa55").await["isAuthenticated"],
        false
    );
}

#[tokio::test]
async fn a_generated_admin_password_is_shown_once_and_works() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    server.wait_ready().await;
    let log = server.wait_for_log("generated password (shown once; keep it): ");
    let password = log
        .split("generated password (shown once; keep it): ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(password.len(), 24);
    let token = access_token(&server, "admin", &password).await;
    let resp = bearer(
        Client::new().get(server.url("/elsa/api/workflow-definitions")),
        &token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    server.stop();
    let again = Server::start(dir.path(), &[]);
    again.wait_ready().await;
    again.wait_for_log("Application started");
    assert!(
        !again.log().contains("generated password"),
        "{}",
        again.log()
    );
    assert!(!again.log().contains(&password));
}

#[tokio::test]
async fn identity_disabled_makes_the_api_anonymous_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[("Elsa__Identity__Enabled", "false")]);
    server.wait_ready().await;
    let resp = reqwest::get(server.url("/elsa/api/workflow-definitions"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        server.log().contains("the API is anonymous"),
        "{}",
        server.log()
    );
}

#[test]
fn production_refuses_to_start_with_a_weak_signing_key_or_the_default_password() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            ("ASPNETCORE_ENVIRONMENT", "Production"),
            ("ASPNETCORE_URLS", "http://127.0.0.1:0"),
            ("Elsa__Identity__Tokens__SigningKey", "too-short-a-key"),
        ],
        &[],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("refusing to start in the Production environment"),
        "{err}"
    );
    assert!(
        err.contains("Elsa:Identity:Tokens:SigningKey is shorter than 32 characters"),
        "{err}"
    );
    assert!(!err.contains("too-short-a-key"), "{err}");

    let env = [
        ("ASPNETCORE_ENVIRONMENT", "Production"),
        ("ASPNETCORE_URLS", "http://127.0.0.1:0"),
        (
            "Elsa__Identity__Tokens__SigningKey",
            "sufficiently-large-secret-signing-key",
        ),
        ("Elsa__Identity__AdminPassword", "password"),
    ];
    let out = run(dir.path(), &env, &[]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("well-known example value"), "{err}");
    assert!(
        err.contains("Elsa:Identity:AdminPassword is a well-known default password"),
        "{err}"
    );
    assert!(
        !err.contains("sufficiently-large-secret-signing-key"),
        "{err}"
    );

    // `config check` says the same before anything starts, with the keys' provenance.
    let check = run(dir.path(), &env, &["config", "check"]);
    let report = text(&check.stdout);
    assert!(check.status.success());
    assert!(
        report.contains("A Production start would be refused:"),
        "{report}"
    );
    assert!(
        report.contains("Elsa__Identity__Tokens__SigningKey"),
        "{report}"
    );
    assert!(report.contains("Token signing key: configured"), "{report}");
    assert!(!report.contains("sufficiently-large"), "{report}");

    // Development allows both (with warnings), so local runs need no setup.
    let check = run(
        dir.path(),
        &[("ASPNETCORE_ENVIRONMENT", "Development")],
        &["config", "check"],
    );
    assert!(!text(&check.stdout).contains("would be refused"));
}

/// A client whose connections come from 127.0.0.`last`: another client address to the server.
fn client_from(last: u8) -> Client {
    Client::builder()
        .local_address(IpAddr::from([127, 0, 0, last]))
        .build()
        .unwrap()
}

async fn login_from(client: &Client, server: &Server, username: &str, password: &str) -> Response {
    client
        .post(server.url("/elsa/api/identity/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

/// A 429 problem whose detail contains `says`, with a Retry-After of 1..=`at_most` seconds.
async fn assert_locked_out(resp: Response, says: &str, at_most: u64) {
    let retry_after: u64 = resp
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=at_most).contains(&retry_after), "{retry_after}");
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body = json_of(resp, 429).await;
    assert_eq!(body["status"], 429);
    assert_eq!(body["title"], "Too Many Requests");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(says) && detail.contains("try again in"),
        "{detail}"
    );
}

#[tokio::test]
async fn failed_authentications_lock_the_client_address_out() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[("Elsa__Identity__ApiKey", API_KEY)]);
    server.wait_ready().await;
    let definitions = server.url("/elsa/api/workflow-definitions");
    let refresh_url = server.url("/elsa/api/identity/refresh-token");
    let attacker = client_from(1);
    let api_key =
        |req: RequestBuilder, key: &str| req.header("Authorization", format!("ApiKey {key}"));

    // Nine failures of each kind (the default limit is ten per address and minute): logins
    // naming different users, wrong API keys, bearer tokens not signed by this server.
    for i in 0..4 {
        let resp = login_from(&attacker, &server, &format!("nobody-{i}"), "guess-pw-xyz").await;
        assert_eq!(json_of(resp, 200).await["isAuthenticated"], false);
    }
    for i in 0..3 {
        let resp = api_key(attacker.get(&definitions), &format!("wrong-key-{i}"));
        assert_eq!(status(resp).await, 401);
    }
    for _ in 0..2 {
        assert_eq!(
            status(bearer(attacker.get(&definitions), "garbage")).await,
            401
        );
    }
    // Not counted: successes, no credentials at all, and our own tokens that merely expired.
    let expired = expired_access_token();
    for _ in 0..3 {
        assert_eq!(
            status(bearer(attacker.get(&definitions), &expired)).await,
            401
        );
        assert_eq!(status(attacker.get(&definitions)).await, 401);
        assert_eq!(
            status(api_key(attacker.get(&definitions), API_KEY)).await,
            200
        );
    }
    let resp = login_from(&attacker, &server, "admin", ADMIN_PASSWORD).await;
    assert_eq!(json_of(resp, 200).await["isAuthenticated"], true);
    // The tenth: a refresh with a token this server did not sign.
    assert_eq!(
        status(bearer(attacker.post(&refresh_url), "not-a-token")).await,
        401
    );

    // Now every credential from that address is refused unchecked, even a right one.
    let says = "too many failed authentication attempts from this client address";
    assert_locked_out(
        api_key(attacker.get(&definitions), API_KEY)
            .send()
            .await
            .unwrap(),
        says,
        60,
    )
    .await;
    assert_locked_out(
        login_from(&attacker, &server, "admin", ADMIN_PASSWORD).await,
        says,
        60,
    )
    .await;
    assert_locked_out(
        bearer(attacker.post(&refresh_url), "x")
            .send()
            .await
            .unwrap(),
        says,
        60,
    )
    .await;
    assert_eq!(
        status(attacker.get(server.url("/health/ready"))).await,
        200,
        "anonymous routes still answer"
    );

    // Another address is not affected.
    let other = client_from(2);
    let resp = login_from(&other, &server, "admin", ADMIN_PASSWORD).await;
    assert_eq!(json_of(resp, 200).await["isAuthenticated"], true);
    assert_eq!(status(api_key(other.get(&definitions), API_KEY)).await, 200);

    // The log says who was locked out, never what was tried.
    let log = server.wait_for_log("locked out");
    assert!(log.contains("127.0.0.1"), "{log}");
    for secret in ["wrong-key-", "guess-pw-xyz", API_KEY, ADMIN_PASSWORD] {
        assert!(!log.contains(secret), "{secret} in the log: {log}");
    }
}

#[tokio::test]
async fn failed_logins_lock_the_user_name_out_until_the_window_ends() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("Elsa__Identity__Lockout__MaxFailuresPerUser", "3"),
            ("Elsa__Identity__Lockout__Window", "00:00:05"),
        ],
    );
    server.wait_ready().await;
    // Three wrong passwords for admin, each from another address (so no address is locked).
    for last in 1..=3 {
        let resp = login_from(&client_from(last), &server, "admin", "guess-pw-xyz").await;
        assert_eq!(json_of(resp, 200).await["isAuthenticated"], false);
    }
    // The user name is locked, whichever address asks and however the name is spelled.
    let fresh = client_from(4);
    let says = "too many failed sign-in attempts for this user name";
    assert_locked_out(
        login_from(&fresh, &server, "admin", ADMIN_PASSWORD).await,
        says,
        5,
    )
    .await;
    assert_locked_out(
        login_from(&fresh, &server, " ADMIN ", ADMIN_PASSWORD).await,
        says,
        5,
    )
    .await;
    // Other user names are not.
    let resp = login_from(&fresh, &server, "nobody", "guess-pw-xyz").await;
    assert_eq!(json_of(resp, 200).await["isAuthenticated"], false);

    // Once the window has passed, the right password works again.
    let token = eventually(30, "a login after the lockout window", || async {
        let body: Value = login_from(&fresh, &server, "admin", ADMIN_PASSWORD)
            .await
            .json()
            .await
            .ok()?;
        body["accessToken"].as_str().map(str::to_owned)
    })
    .await;
    let resp = bearer(
        fresh.get(server.url("/elsa/api/workflow-definitions")),
        &token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
}

/// An access token signed with the server's key whose `nbf` and `iat` are `nbf` and `iat`
/// seconds from now.
fn token_from(nbf: i64, iat: i64) -> String {
    use elsa_api::identity::tokens::{Claims, TokenOptions, Tokens};
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let tokens = Tokens::new(TokenOptions {
        signing_key: Some(SIGNING_KEY.as_bytes().to_vec()),
        issuer: "http://elsa.api".into(),
        audience: "http://elsa.api".into(),
        access_token_lifetime: Duration::from_secs(3600),
        refresh_token_lifetime: Duration::from_secs(7200),
    });
    tokens
        .sign(&Claims {
            sub: "x".into(),
            name: "admin".into(),
            role: vec![],
            permissions: vec!["*".into()],
            token_use: "access".into(),
            iss: "http://elsa.api".into(),
            aud: "http://elsa.api".into(),
            iat: (now + iat) as u64,
            nbf: (now + nbf) as u64,
            exp: (now + 7200) as u64,
        })
        .unwrap()
}

#[tokio::test]
async fn tokens_from_the_future_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    server.wait_ready().await;
    let client = Client::new();
    let definitions = server.url("/elsa/api/workflow-definitions");
    // Within the allowed clock skew between nodes (60 s): accepted.
    assert_eq!(
        status(bearer(client.get(&definitions), &token_from(20, 20))).await,
        200
    );
    let resp = bearer(client.get(&definitions), &token_from(3600, 0))
        .send()
        .await
        .unwrap();
    let detail = json_of(resp, 401).await["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("not valid yet") && detail.contains("'nbf'"),
        "{detail}"
    );
    let resp = bearer(client.get(&definitions), &token_from(0, 3600))
        .send()
        .await
        .unwrap();
    let detail = json_of(resp, 401).await["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("'iat'"), "{detail}");
}

#[test]
fn production_refuses_common_admin_passwords_and_short_api_keys() {
    let dir = tempfile::tempdir().unwrap();
    let production = |extra: &[(&'static str, &'static str)]| {
        let mut env = vec![
            ("ASPNETCORE_ENVIRONMENT", "Production"),
            ("ASPNETCORE_URLS", "http://127.0.0.1:0"),
            ("Elsa__Identity__Tokens__SigningKey", SIGNING_KEY),
        ];
        env.extend_from_slice(extra);
        env
    };
    let env = production(&[
        ("Elsa__Identity__AdminPassword", "P@ssw0rd"),
        ("Elsa__Identity__ApiKey", "abc-short-key"),
    ]);
    let out = run(dir.path(), &env, &[]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("refusing to start in the Production environment"),
        "{err}"
    );
    assert!(
        err.contains("Elsa:Identity:AdminPassword is a well-known default password"),
        "{err}"
    );
    assert!(
        err.contains("Elsa:Identity:ApiKey is shorter than 32 characters"),
        "{err}"
    );
    assert!(err.contains("openssl rand -base64 48"), "{err}");
    for secret in ["P@ssw0rd", "abc-short-key"] {
        assert!(!err.contains(secret), "{err}");
    }

    // `config check` says the same, for each of the probed passwords.
    for weak in [
        "123456", "elsa", "changeme", "P@ssw0rd", "Admin", "short-pw",
    ] {
        let check = run(
            dir.path(),
            &production(&[("Elsa__Identity__AdminPassword", weak)]),
            &["config", "check"],
        );
        let report = text(&check.stdout);
        assert!(check.status.success());
        assert!(
            report.contains(
                "A Production start would be refused:\n  - Elsa:Identity:AdminPassword is"
            ),
            "{weak}: {report}"
        );
    }

    // Development accepts them, so local runs need no setup.
    let server = Server::start(
        dir.path(),
        &[
            ("ASPNETCORE_ENVIRONMENT", "Development"),
            ("Elsa__Identity__AdminPassword", "elsa"),
            ("Elsa__Identity__ApiKey", "abc"),
        ],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        server.wait_ready().await;
        let resp = Client::new()
            .get(server.url("/elsa/api/workflow-definitions"))
            .header("Authorization", "ApiKey abc")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            login(&server, "admin", "elsa").await["isAuthenticated"],
            true
        );
    });
}
