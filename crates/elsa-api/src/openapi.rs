//! The OpenAPI document of `/elsa/api`, generated from the handlers' `#[utoipa::path]`
//! annotations: each route module contributes its routes through `OpenApiRouter`, so a route
//! cannot be served without being documented. Served at `/elsa/api/openapi.json`, with an
//! offline Swagger UI at `/elsa/api/swagger`.

use crate::problem::ProblemDetails;
use axum::Router;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::{Config, SwaggerUi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "elsa-rs",
        description = "Elsa Workflows 3 compatible REST API"
    ),
    components(schemas(ProblemDetails)),
    modifiers(&Security),
    security(("ApiKey" = []), ("Bearer" = []))
)]
pub struct ApiDoc;

/// `/elsa/api/openapi.json`, and the Swagger UI with the same document beside it. The document is
/// kept as its JSON text (about 120 KB), written once here: the built document is a tree of many
/// small allocations far larger than that, and the Swagger UI used to keep a second copy. The
/// Swagger UI's own files stay in the binary, paged in only when asked for.
pub fn routes(doc: &utoipa::openapi::OpenApi) -> Router {
    let json = Bytes::from(serde_json::to_vec(doc).expect("an OpenAPI document always serialises"));
    let serve = move || std::future::ready(([(CONTENT_TYPE, "application/json")], json.clone()));
    let swagger_doc = format!("{}/openapi.json", crate::SWAGGER_PATH);
    Router::new()
        .route(
            &format!("{}/openapi.json", crate::API_PREFIX),
            get(serve.clone()),
        )
        .route(&swagger_doc, get(serve))
        .merge(SwaggerUi::new(crate::SWAGGER_PATH).config(Config::new([swagger_doc])))
}

/// Elsa's two schemes: `Authorization: ApiKey <key>` and `Authorization: Bearer <jwt>`.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "ApiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`ApiKey <key>`",
            ))),
        );
        components.add_security_scheme(
            "Bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every error of the API is a [`ProblemDetails`] body (`problem.rs`): error responses the
/// handlers document without a body get that schema, once, here. Applied to the merged
/// document, after every route is in.
pub fn problem_bodies(openapi: &mut utoipa::openapi::OpenApi) {
    let problem = Content::new(Some(Ref::from_schema_name(ProblemDetails::name())));
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, response) in operation.responses.responses.iter_mut() {
                if let RefOr::T(response) = response
                    && (status.starts_with('4') || status.starts_with('5'))
                    && response.content.is_empty()
                {
                    response.content.insert(
                        "application/problem+json".to_owned(),
                        RefOr::T(problem.clone()),
                    );
                }
            }
        }
    }
}

/// A file as the document describes it: a zip archive sent, an uploaded definition. Never
/// built; it names the schema of bodies handled as bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct Binary(Vec<u8>);

/// The multipart body of the import routes: JSON files or zip archives, in any field (`files`
/// by convention). Never built, as [`Binary`].
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Upload {
    files: Vec<Binary>,
}

/// The schema of a value Elsa binds from a name or from its number (enum values, version
/// options): the fields holding one stay raw JSON until the handler reads them.
pub fn name_or_number(description: &str) -> Schema {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ObjectBuilder::new().schema_type(Type::Integer))
        .description(Some(description))
        .into()
}
