//! Serving the installed Studio files and the shell.
//!
//! The Studio's files keep the paths the package gives them (`/_framework/…`, `/_content/…`, the
//! styles file): Blazor resolves them against `<base href>`, and Blazor's navigation refuses a
//! page whose URL lies outside its base, so a shell at `/` needs base `/`.
//!
//! Compressed siblings (`.br`, `.gz`) shipped in the package are served when the browser accepts
//! them (a third of the bytes); files the runtime names by content hash are cached for a year,
//! everything else revalidates, so an updated install is seen at once.

use axum::Router;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

use super::shell;

const STYLES: &str = "Elsa.Studio.Host.CustomElements.styles.css";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// The shell at `/` and the Studio's files from `dir`; without an installation, `/` says how
/// to install it and one line is logged, while the API keeps working.
pub fn router(dir: &Path) -> Router {
    if !super::is_installed(dir) {
        tracing::warn!(
            "The Studio is not installed in {}; run `elsa-server studio install` (or start with --install-studio) to serve it at /",
            dir.display()
        );
        return Router::new().route("/", get(not_installed));
    }
    let files = Router::new()
        .nest_service("/_framework", precompressed(dir.join("_framework")))
        .nest_service("/_content", precompressed(dir.join("_content")))
        .route_service(
            &format!("/{STYLES}"),
            ServeFile::new(dir.join(STYLES))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(middleware::from_fn(cache_headers));
    shell::router().merge(files)
}

fn precompressed(dir: impl AsRef<Path>) -> ServeDir {
    ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

async fn not_installed() -> Response {
    (
        StatusCode::NOT_FOUND,
        "The Elsa Studio is not installed on this server. Run: elsa-server studio install \
         (or start the server with --install-studio). The API is at /elsa/api.\n",
    )
        .into_response()
}

async fn cache_headers(request: Request, next: Next) -> Response {
    let policy = if is_fingerprinted(request.uri().path()) {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut response = next.run(request).await;
    if response.status().is_success() {
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(policy));
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// `/_framework/Elsa.Api.Client.mbze71icf3.wasm`: the .NET SDK puts a 10-character content hash
/// before the extension of the runtime's files; `dotnet.js` and `blazor.webassembly.js` have
/// none (they hold the hashes of the others) and must revalidate.
fn is_fingerprinted(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/_framework/") else {
        return false;
    };
    let name = rest.rsplit('/').next().unwrap_or(rest);
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3 && {
        let hash = parts[parts.len() - 2];
        hash.len() == 10
            && hash
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    }
}

#[cfg(test)]
mod tests {
    use super::is_fingerprinted;

    #[test]
    fn fingerprinted_files_are_the_hashed_framework_files() {
        assert!(is_fingerprinted(
            "/_framework/Elsa.Api.Client.mbze71icf3.wasm"
        ));
        assert!(is_fingerprinted("/_framework/dotnet.native.b6l13xorvf.js"));
        assert!(is_fingerprinted(
            "/_framework/de/MudBlazor.resources.abcdefgh12.wasm"
        ));
        assert!(!is_fingerprinted("/_framework/dotnet.js"));
        assert!(!is_fingerprinted("/_framework/blazor.webassembly.js"));
        assert!(!is_fingerprinted("/_content/MudBlazor/MudBlazor.min.js"));
        assert!(!is_fingerprinted(
            "/Elsa.Studio.Host.CustomElements.styles.css"
        ));
    }
}
