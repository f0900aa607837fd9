//! `appsettings*.json` as .NET reads them: comments and trailing commas allowed (the JSON
//! configuration provider skips both), objects flattened to `A:B:C`, arrays to `A:0`, scalars to
//! their text.

use std::io;
use std::path::Path;

use serde_json::Value;

use super::ConfigError;
use super::sources::{Configuration, Source};

/// Adds the file's values to `config`. `Ok(false)` when the file does not exist: like .NET we
/// treat every appsettings file as optional, and the caller decides whether that deserves a notice.
pub(super) fn add_file(config: &mut Configuration, path: &Path) -> Result<bool, ConfigError> {
    // A subPath mount of a ConfigMap key that does not exist leaves an empty directory there.
    if path.is_dir() {
        return Err(ConfigError::AppSettingsIsDirectory {
            path: path.to_owned(),
        });
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(ConfigError::ReadFile {
                path: path.to_owned(),
                reason: e.to_string(),
            });
        }
    };
    let invalid = |reason: String| ConfigError::InvalidJson {
        path: path.to_owned(),
        reason,
    };
    let value: Value = serde_json::from_str(&strip_comments_and_trailing_commas(&text))
        .map_err(|e| invalid(e.to_string()))?;
    if !value.is_object() {
        return Err(invalid("the top level must be an object".into()));
    }
    flatten(config, "", &value, &Source::File(path.to_owned()));
    Ok(true)
}

fn flatten(config: &mut Configuration, key: &str, value: &Value, source: &Source) {
    let child = |name: &str| {
        if key.is_empty() {
            name.to_owned()
        } else {
            format!("{key}:{name}")
        }
    };
    match value {
        Value::Object(map) => {
            for (name, value) in map {
                flatten(config, &child(name), value, source);
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                flatten(config, &child(&index.to_string()), value, source);
            }
        }
        Value::Null => config.set(key, "", source.clone()),
        Value::String(text) => config.set(key, text, source.clone()),
        Value::Bool(_) | Value::Number(_) => config.set(key, &value.to_string(), source.clone()),
    }
}

/// Removes `//` and `/* */` comments and commas before `}` / `]`, outside strings. A block
/// comment keeps its newlines so serde_json's line numbers still match the file.
fn strip_comments_and_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    // Where a comma was written, while only whitespace and comments have followed it.
    let mut pending_comma: Option<usize> = None;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('/', Some('/')) => while chars.next_if(|&c| c != '\n').is_some() {},
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    out.push(if c == '\n' { '\n' } else { ' ' });
                    last = c;
                }
            }
            (',', _) => {
                pending_comma = Some(out.len());
                out.push(',');
            }
            ('}' | ']', _) => {
                if let Some(at) = pending_comma.take() {
                    out.replace_range(at..=at, " ");
                }
                out.push(c);
            }
            _ => {
                if !c.is_whitespace() {
                    pending_comma = None;
                    in_string = c == '"';
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Configuration, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("appsettings.json");
        std::fs::write(&path, text).unwrap();
        let mut config = Configuration::default();
        assert!(add_file(&mut config, &path)?);
        Ok(config)
    }

    #[test]
    fn flattens_objects_arrays_and_scalars() {
        let config = load(
            r#"{ "Elsa": { "AutoMigrate": true, "Workers": 4, "Tags": ["a", {"B": null}] },
                 "ConnectionStrings": { "PostgreSql": "Host=x" } }"#,
        )
        .unwrap();
        assert_eq!(config.get_path("elsa:automigrate"), Some("true"));
        assert_eq!(config.get_path("Elsa:Workers"), Some("4"));
        assert_eq!(config.get_path("Elsa:Tags:0"), Some("a"));
        assert!(config.get_path("Elsa:Tags:1:B").is_none());
        let (name, entry) = config
            .children(&crate::config::keys::CONNECTION_STRING)
            .next()
            .unwrap();
        assert_eq!(
            (name, entry.key.as_str()),
            ("PostgreSql", "ConnectionStrings:PostgreSql")
        );
        assert!(matches!(&entry.source, Source::File(p) if p.ends_with("appsettings.json")));
    }

    #[test]
    fn comments_and_trailing_commas_as_dotnet_allows() {
        let config = load(
            "{\n  // a comment with \"quotes\" and a, comma\n  \"A\": \"http://x/*not a comment*/\", /* block\n comment */\n  \"B\": [1, 2,],\n}\n",
        )
        .unwrap();
        assert_eq!(config.get_path("A"), Some("http://x/*not a comment*/"));
        assert_eq!(config.get_path("B:1"), Some("2"));
        assert!(config.get_path("B:2").is_none());
    }

    #[test]
    fn escaped_quotes_stay_inside_strings() {
        let config = load(r#"{ "A": "say \"hi\" // not a comment", }"#).unwrap();
        assert_eq!(config.get_path("A"), Some(r#"say "hi" // not a comment"#));
    }

    #[test]
    fn bad_json_names_the_file_and_position() {
        let message = load("{\n  \"A\": 1\n  \"B\": 2\n}")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("appsettings.json is not valid JSON"),
            "{message}"
        );
        assert!(message.contains("line 3"), "{message}");
        let message = load("[1]").unwrap_err().to_string();
        assert!(
            message.contains("the top level must be an object"),
            "{message}"
        );
    }

    #[test]
    fn missing_file_is_optional_and_a_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Configuration::default();
        assert!(!add_file(&mut config, &dir.path().join("nope.json")).unwrap());
        let err = add_file(&mut config, dir.path()).unwrap_err();
        assert!(matches!(err, ConfigError::AppSettingsIsDirectory { .. }));
    }
}
