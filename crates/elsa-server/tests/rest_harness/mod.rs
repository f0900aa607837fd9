//! The real application router (`elsa_api::router`) around a given runtime, called in-process:
//! requests go through routing, binding, auth and the handlers exactly as over a socket, without
//! one. For conformance cases that start with REST calls or HTTP workflow requests.

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use elsa_api::{AppState, Health, Identity, IdentityOptions, TokenOptions};
use elsa_runtime::Runtime;
use elsa_store::{
    ApiKeyStore, Database, DbSettings, IdentityStore, Module, SqliteSettings, migrate,
};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tower::ServiceExt;

/// The API key every request to `/elsa/api` carries.
const API_KEY: &str = "conformance-runner-key";

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct RestResponse {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl RestResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (`null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// The application around one runtime; cheap to clone (requests may run concurrently).
#[derive(Clone)]
pub struct RestHarness {
    app: axum::Router,
}

impl RestHarness {
    pub async fn new(runtime: Arc<Runtime>) -> Self {
        // Identity keeps its users and keys in a Management database of its own here; the runner
        // only ever authenticates with the configured key.
        let settings = DbSettings::Sqlite(SqliteSettings {
            filename: ":memory:".into(),
            ..Default::default()
        });
        let db = Database::connect(&settings)
            .await
            .expect("an in-memory database");
        migrate::migrate(&settings, &db, Module::Management, &mut |_| {})
            .await
            .expect("the Management schema");
        let identity = Arc::new(Identity::new(
            IdentityOptions {
                enabled: true,
                tokens: TokenOptions {
                    signing_key: Some(b"conformance-runner-signing-key-0123456789".to_vec()),
                    issuer: "http://elsa.api".into(),
                    audience: "http://elsa.api".into(),
                    access_token_lifetime: Duration::from_secs(3600),
                    refresh_token_lifetime: Duration::from_secs(7200),
                },
                api_key: Some(API_KEY.into()),
                lockout: Default::default(),
            },
            IdentityStore::new(db.clone()),
            ApiKeyStore::new(db),
        ));
        let health = Arc::new(Health::new(Vec::new()));
        health.started.store(true, Ordering::Relaxed);
        Self {
            app: elsa_api::router(
                AppState { runtime },
                identity,
                health,
                elsa_api::BodyLimits::default(),
            ),
        }
    }

    /// Sends one request; paths under `/elsa/api` carry the API key.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> RestResponse {
        let method = Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut request = Request::builder().method(method).uri(path);
        if path.starts_with("/elsa/api") {
            request = request.header(header::AUTHORIZATION, format!("ApiKey {API_KEY}"));
        }
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let request = request.body(Body::from(body)).expect("a request");
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let (parts, body) = response.into_parts();
        RestResponse {
            status: parts.status,
            body: to_bytes(body, usize::MAX)
                .await
                .expect("a readable body")
                .to_vec(),
        }
    }

    /// `POST` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> RestResponse {
        self.send(
            "POST",
            path,
            Some("application/json"),
            serde_json::to_vec(body).expect("JSON"),
        )
        .await
    }
}
