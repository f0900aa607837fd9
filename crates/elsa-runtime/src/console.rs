//! Text a workflow writes to the server's streams.

use std::borrow::Cow;

/// `text` with line breaks and other control characters (NUL, ESC of terminal sequences…)
/// escaped as `\n`, `\r`, `\u001b`; tabs and printable text stay as they are.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return text.into();
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push(c),
            c if c.is_control() => escaped.push_str(&format!("\\u{:04x}", c as u32)),
            c => escaped.push(c),
        }
    }
    escaped.into()
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn workflow_output_stays_on_its_line() {
        assert_eq!(
            escape_controls("Hello from Elsa\tok"),
            "Hello from Elsa\tok"
        );
        assert_eq!(
            escape_controls("a\n2026-12-03T00:00:00Z ERROR forged\r\0\u{1b}[31m"),
            "a\\n2026-12-03T00:00:00Z ERROR forged\\r\\u0000\\u001b[31m"
        );
    }
}
