//! The Elsa Studio as the server's designer UI: the pinned npm package
//! `@elsa-workflows/elsa-studio-wasm` (Elsa's own Blazor WebAssembly custom elements), installed
//! beside the server by `elsa-server studio install`, and our host shell that mounts those
//! elements at `/` (login, navigation, token refresh).
//!
//! The package's files are neither in git nor in the binary (93 MB unpacked): `install` fetches
//! them with npm, checks the pinned sha512 integrity and unpacks them into `Elsa:Studio:Path`.
//! The shell (`studio/` at the repository root) is compiled in, so it always matches the API
//! it talks to.

mod assets;
pub mod install;
mod shell;

pub use assets::router;

/// The npm package and the one version the shell is written against.
pub const PACKAGE: &str = "@elsa-workflows/elsa-studio-wasm";
pub const VERSION: &str = "3.8.2";
/// The registry's integrity string for that version's tarball.
pub const INTEGRITY: &str = "sha512-aoyapE8UDCEriuYekGv1CWzLqeNZDUL8nJGmxPXNcvXTkGRT8u4QWBqlRwlm02AZcPpG9PU0FZJx3zSAyQVzGg==";

/// A file every complete installation has; `install` only creates the directory once all
/// files are in place, so its presence means the whole package is there.
const MARKER: &str = "_framework/blazor.webassembly.js";

pub fn is_installed(dir: &std::path::Path) -> bool {
    dir.join(MARKER).is_file()
}
