//! `Elsa:Studio:Path`: where the Studio's files are installed and served from.

use std::path::{Path, PathBuf};

use super::settings::{Origin, Setting};
use super::sources::Configuration;

const KEY: &str = "Elsa:Studio:Path";

/// The configured directory, relative paths against the content root; by default
/// `data/studio/<version>` there, beside the default SQLite database.
pub(super) fn resolve(config: &Configuration, content_root: &Path) -> Setting<PathBuf> {
    match config.entry(KEY) {
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
                "default: {KEY} is not set; data/studio/{} under the content root",
                crate::studio::VERSION
            )),
        },
    }
}
