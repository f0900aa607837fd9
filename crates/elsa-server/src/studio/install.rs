//! `elsa-server studio install`: fetch the pinned Studio package, check its integrity, unpack it.
//!
//! npm fetches the tarball (`npm pack`), so the user's registry, proxy and cache settings apply
//! and no registry address is baked in here; `--from FILE` takes a tarball fetched any other
//! way. Either way the tarball must match [`super::INTEGRITY`] before a byte is unpacked. Files
//! are unpacked into a staging directory next to the target and renamed into place at the
//! end, so a failed or interrupted install never leaves a half-installed Studio behind.

use base64::Engine as _;
use flate2::read::GzDecoder;
use sha2::{Digest, Sha512};
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum InstallError {
    #[error(
        "npm was not found ({0}); install Node.js with npm, or fetch {package}@{version} yourself and run: elsa-server studio install --from <tarball>",
        package = super::PACKAGE,
        version = super::VERSION
    )]
    NpmMissing(std::io::Error),
    #[error("npm pack {package}@{version} failed ({status}): {stderr}", package = super::PACKAGE, version = super::VERSION)]
    NpmFailed { status: String, stderr: String },
    #[error(
        "the tarball's integrity is {actual}, but {expected} was expected; it is not the pinned Studio package"
    )]
    Integrity { expected: String, actual: String },
    #[error("the tarball is not a valid npm package: {0}")]
    Archive(String),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> InstallError {
    let path = path.to_owned();
    move |source| InstallError::Io { what, path, source }
}

/// What [`install`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    AlreadyInstalled,
    /// Newly installed, with this many files.
    Installed {
        files: usize,
    },
}

/// Installs the pinned package into `dir` unless it is already there; `from` is a tarball to use
/// instead of asking npm.
pub fn install(dir: &Path, from: Option<&Path>) -> Result<Outcome, InstallError> {
    if super::is_installed(dir) {
        return Ok(Outcome::AlreadyInstalled);
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io("cannot create", parent))?;
    let tarball = match from {
        Some(file) => std::fs::read(file).map_err(io("cannot read", file))?,
        None => npm_pack(parent)?,
    };
    let files = unpack_verified(&tarball, super::INTEGRITY, dir)?;
    Ok(Outcome::Installed { files })
}

/// Runs `npm pack` in a scratch directory under `work_dir` and returns the tarball's bytes.
fn npm_pack(work_dir: &Path) -> Result<Vec<u8>, InstallError> {
    let scratch = work_dir.join(format!(".studio-download-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(io("cannot create", &scratch))?;
    let result = (|| {
        let output = Command::new("npm")
            .args(["pack", "--silent", "--ignore-scripts"])
            .arg(format!("{}@{}", super::PACKAGE, super::VERSION))
            .current_dir(&scratch)
            .output()
            .map_err(InstallError::NpmMissing)?;
        if !output.status.success() {
            return Err(InstallError::NpmFailed {
                status: output.status.to_string(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        let name = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let file = scratch.join(name.lines().last().unwrap_or_default());
        std::fs::read(&file).map_err(io("cannot read the downloaded", &file))
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// The Subresource-Integrity string of `bytes`, as npm records it.
pub fn integrity(bytes: &[u8]) -> String {
    let digest = Sha512::digest(bytes);
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Checks `tarball` against `expected`, then unpacks the package's files into `dir` (without
/// the `package/` prefix and without source maps, which nothing serves). Returns the file count.
pub fn unpack_verified(tarball: &[u8], expected: &str, dir: &Path) -> Result<usize, InstallError> {
    let actual = integrity(tarball);
    if actual != expected {
        return Err(InstallError::Integrity {
            expected: expected.to_owned(),
            actual,
        });
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    let staging = parent.join(format!(
        ".{}.partial-{}",
        dir.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    let result = unpack(tarball, &staging).and_then(|files| {
        std::fs::rename(&staging, dir).map_err(io("cannot move the Studio into", dir))?;
        Ok(files)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn unpack(tarball: &[u8], into: &Path) -> Result<usize, InstallError> {
    let bad = |e: std::io::Error| InstallError::Archive(e.to_string());
    let mut archive = tar::Archive::new(GzDecoder::new(tarball));
    // npm stamps every file 1985-10-26; the install time gives each installation its own
    // Last-Modified, so browsers revalidating the unhashed files notice an update.
    archive.set_preserve_mtime(false);
    let mut files = 0;
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(bad)?.into_owned();
        let relative = package_relative(&path)
            .ok_or_else(|| InstallError::Archive(format!("unexpected path {}", path.display())))?;
        let name = relative.to_string_lossy();
        if name.ends_with(".map") || name.contains(".map.") {
            continue;
        }
        let target = into.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io("cannot create", parent))?;
        }
        entry.unpack(&target).map_err(io("cannot write", &target))?;
        files += 1;
    }
    if !super::is_installed(into) {
        return Err(InstallError::Archive(format!(
            "it has no package/{}",
            super::MARKER
        )));
    }
    Ok(files)
}

/// `package/a/b` → `a/b`; anything outside `package/`, absolute or with `..` is refused.
fn package_relative(path: &Path) -> Option<PathBuf> {
    let mut components = path.components();
    if components.next() != Some(Component::Normal("package".as_ref())) {
        return None;
    }
    let rest: PathBuf = components.collect();
    let plain = rest.components().all(|c| matches!(c, Component::Normal(_)));
    (plain && rest.components().next().is_some()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    /// A gzipped tarball of `(path, content)` files, paths written verbatim (even unsafe ones).
    fn tarball(files: &[(&str, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
        for (path, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            let name = &mut header.as_old_mut().name;
            name[..path.len()].copy_from_slice(path.as_bytes());
            header.set_cksum();
            builder.append(&header, content.as_bytes()).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    const PACKAGE_FILES: [(&str, &str); 4] = [
        ("package/_framework/blazor.webassembly.js", "boot"),
        ("package/_framework/App.abc123defg.wasm", "wasm"),
        ("package/_content/Lib/lib.js.map", "map"),
        ("package/index.html", "<html>"),
    ];

    #[test]
    fn unpacks_a_matching_tarball_without_source_maps() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("studio");
        let bytes = tarball(&PACKAGE_FILES);
        let files = unpack_verified(&bytes, &integrity(&bytes), &target).unwrap();
        assert_eq!(files, 3);
        assert!(crate::studio::is_installed(&target));
        assert_eq!(
            std::fs::read_to_string(target.join("_framework/App.abc123defg.wasm")).unwrap(),
            "wasm"
        );
        assert!(!target.join("_content/Lib/lib.js.map").exists());
        // Nothing but the installed directory is left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(
            install(&target, Some(Path::new("/nonexistent"))).unwrap(),
            Outcome::AlreadyInstalled
        );
    }

    #[test]
    fn refuses_a_tarball_with_another_integrity_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("studio");
        let bytes = tarball(&PACKAGE_FILES);
        let err = unpack_verified(&bytes, crate::studio::INTEGRITY, &target).unwrap_err();
        assert!(matches!(err, InstallError::Integrity { .. }), "{err}");
        assert!(err.to_string().contains("not the pinned Studio package"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn refuses_paths_outside_the_package() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("studio");
        for evil in ["package/../../escape.txt", "other/file.txt", "/etc/x"] {
            let mut files = PACKAGE_FILES.to_vec();
            files.push((evil, "x"));
            let bytes = tarball(&files);
            let err = unpack_verified(&bytes, &integrity(&bytes), &target).unwrap_err();
            assert!(matches!(err, InstallError::Archive(_)), "{evil}: {err}");
            assert!(!target.exists());
            assert!(!dir.path().join("escape.txt").exists());
        }
    }

    #[test]
    fn refuses_a_tarball_that_is_not_the_studio() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("studio");
        let bytes = tarball(&[("package/index.html", "<html>")]);
        let err = unpack_verified(&bytes, &integrity(&bytes), &target).unwrap_err();
        assert!(err.to_string().contains("blazor.webassembly.js"), "{err}");
        assert!(!target.exists());
    }

    #[test]
    fn the_pinned_integrity_is_a_sha512() {
        let digest = crate::studio::INTEGRITY.strip_prefix("sha512-").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(digest)
            .unwrap();
        assert_eq!(bytes.len(), 64);
    }
}
