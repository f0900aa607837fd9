//! The OpenAPI document of `/elsa/api`, generated from the handlers' `#[utoipa::path]`
//! annotations: each route module contributes its routes through `OpenApiRouter`, so a route
//! cannot be served without being documented. Served at `/elsa/api/openapi.json`, with an
//! offline Swagger UI at `/elsa/api/swagger`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "elsa-rs",
        description = "Elsa Workflows 3 compatible REST API"
    ),
    modifiers(&Security),
    security(("ApiKey" = []), ("Bearer" = []))
)]
pub struct ApiDoc;

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
