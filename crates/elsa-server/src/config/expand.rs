//! `$(VAR)` and `${VAR}` references inside connection strings.
//!
//! Kubernetes expands `$(VAR)` in an env value only when `VAR` is declared earlier in the same
//! container, and never inside a mounted file, so the guide's
//! `Password=$(POSTGRES_PASSWORD)` often reaches the process as literal text. We finish the job
//! from the process environment. `$$(VAR)` / `$${VAR}` is the escape for a literal `$(VAR)`, as in
//! Kubernetes; any other `$` is kept as it is, so passwords containing `$` survive.
//!
//! Unlike Kubernetes we know the text is a connection string: a reference that is a keyword's
//! whole value (`Password=$(POSTGRES_PASSWORD);`) is substituted quoted when needed, so a
//! password containing `;` or starting with a quote still parses.

use std::collections::HashMap;

use elsa_store::connection_string::quote;

/// A string with its references replaced, and the names of the variables used (for `config check`).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Expanded {
    pub text: String,
    pub variables: Vec<String>,
}

/// Expands every reference; `Err` carries the name of the first variable that is not set.
pub(super) fn expand<'t>(
    text: &'t str,
    env: &HashMap<String, String>,
) -> Result<Expanded, &'t str> {
    let mut out = String::with_capacity(text.len());
    let mut variables: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(escaped) = after.strip_prefix('$').filter(|r| reference(r).is_some()) {
            out.push('$');
            rest = escaped;
        } else if let Some((name, tail)) = reference(after) {
            let value = env.get(name).ok_or(name)?;
            let whole_value = out.trim_end().ends_with('=')
                && (tail.trim_start().is_empty() || tail.trim_start().starts_with(';'));
            if whole_value {
                out.push_str(&quote(value));
            } else {
                out.push_str(value);
            }
            if !variables.iter().any(|v| v == name) {
                variables.push(name.to_owned());
            }
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(Expanded {
        text: out,
        variables,
    })
}

/// Reads `(NAME)` or `{NAME}` at the start of `text`: the name and what follows it. Names are
/// what Kubernetes accepts for env vars: letters, digits, `_`, `-` and `.`, not starting with a digit.
fn reference(text: &str) -> Option<(&str, &str)> {
    let close = match text.chars().next()? {
        '(' => ')',
        '{' => '}',
        _ => return None,
    };
    let body = &text[1..];
    let end = body.find(close)?;
    let name = &body[..end];
    let valid = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && name.chars().next().is_some_and(|c| !c.is_ascii_digit());
    valid.then(|| (name, &body[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> HashMap<String, String> {
        [
            ("POSTGRES_PASSWORD", "s3cret"),
            ("DB_HOST", "postgres"),
            ("EMPTY", ""),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into()
    }

    fn ok(text: &str) -> String {
        expand(text, &env()).unwrap().text
    }

    #[test]
    fn both_reference_forms() {
        let expanded = expand(
            "Host=$(DB_HOST);Password=${POSTGRES_PASSWORD};X=$(DB_HOST)",
            &env(),
        )
        .unwrap();
        assert_eq!(expanded.text, "Host=postgres;Password=s3cret;X=postgres");
        assert_eq!(expanded.variables, ["DB_HOST", "POSTGRES_PASSWORD"]);
        assert_eq!(ok("a$(EMPTY)b"), "ab");
    }

    #[test]
    fn escapes_and_lone_dollars() {
        assert_eq!(
            ok("Password=$$(POSTGRES_PASSWORD)"),
            "Password=$(POSTGRES_PASSWORD)"
        );
        assert_eq!(ok("Password=$${DB_HOST}"), "Password=${DB_HOST}");
        assert_eq!(ok("Password=pa$$w0rd$"), "Password=pa$$w0rd$");
        assert_eq!(ok("a$(not closed"), "a$(not closed");
        assert_eq!(ok("a$(has space)b$()c$(1X)"), "a$(has space)b$()c$(1X)");
        assert_eq!(ok("ä$(DB_HOST)€"), "äpostgres€");
    }

    #[test]
    fn whole_values_are_quoted_when_needed() {
        let env: HashMap<String, String> = [("P", "a;b\"c"), ("Q", "'x")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into();
        let text = expand("Password= $(P) ;Q=$(Q);R=pre$(P)", &env)
            .unwrap()
            .text;
        assert_eq!(text, "Password= \"a;b\"\"c\" ;Q=\"'x\";R=prea;b\"c");
    }

    #[test]
    fn unresolved_names_the_variable() {
        assert_eq!(
            expand("Password=$(POSTGRES_PASSWORD2)", &env()),
            Err("POSTGRES_PASSWORD2")
        );
        assert_eq!(expand("${MISSING.NAME}", &env()), Err("MISSING.NAME"));
    }
}
