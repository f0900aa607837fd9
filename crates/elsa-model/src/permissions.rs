//! Elsa's permission rule, shared by the API's route check and HTTP endpoints' `policy`.

/// Whether `held` (a principal's permissions) satisfies `required` (`*` satisfies everything).
pub fn allows(held: &[String], required: &[&str]) -> bool {
    held.iter()
        .any(|p| p == "*" || required.iter().any(|r| r == p))
}
