//! `Elsa:Studio:Path`: where the Studio's files are installed and served from.

use std::path::{Path, PathBuf};

use super::keys::STUDIO_PATH as KEY;
use super::settings::{Origin, Setting};
use super::sources::Configuration;

/// The configured directory, relative paths against the content root; by default
/// `data/studio/<version>` there, beside the default SQLite database.
pub(super) fn resolve(config: &Configuration, content_root: &Path) -> Setting<PathBuf> {
    match config.entry(&KEY) {
        Some(entry) => Setting {
            value: content_root.join(entry.value.trim()),
            origin: Origin::of(entry),
        },
        None => Setting {
            value: content_root
                .join("data")
                .join("studio")
                .join(crate::studio::VERSION),
            origin: Origin::Derived(format!(
                "default: {} is not set; data/studio/{} under the content root",
                KEY.path(),
                crate::studio::VERSION
            )),
        },
    }
}
