//! `elsa-server config check`: exit 0 with the effective settings, or exit 1 with one line
//! naming the key and the fix.

mod common;

use common::{run, text};

fn check(env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), env, &["config", "check"]);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

fn fails_with(env: &[(&str, &str)], needles: &[&str]) {
    let (code, _, stderr) = check(env);
    assert_eq!(code, Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, got: {stderr}");
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "`{needle}` missing from: {}",
            lines[0]
        );
    }
    assert!(!stderr.contains("s3cret"), "never the password: {stderr}");
}

#[test]
fn provider_contradicting_its_connection_string() {
    fails_with(
        &[
            (
                "ConnectionStrings__PostgreSql",
                "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=s3cret",
            ),
            ("Elsa__Persistence__Provider", "Sqlite"),
        ],
        &["Elsa:Persistence:Provider"],
    );
}

#[test]
fn unresolved_variable_in_a_connection_string() {
    fails_with(
        &[(
            "ConnectionStrings__PostgreSql",
            "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=$(POSTGRES_PASSWORD)",
        )],
        &["ConnectionStrings:PostgreSql", "POSTGRES_PASSWORD"],
    );
}

#[test]
fn missing_named_connection_string() {
    fails_with(
        &[
            ("Elsa__Persistence__ConnectionStringName", "PostgreSql"),
            ("Elsa__Persistence__Provider", "PostgreSql"),
        ],
        &["ConnectionStrings:PostgreSql"],
    );
}

#[test]
fn unparseable_connection_string() {
    fails_with(
        &[(
            "ConnectionStrings__PostgreSql",
            "Host=postgres;Port=eighty;Password=s3cret",
        )],
        &["ConnectionStrings:PostgreSql", "Port"],
    );
}

#[test]
fn unknown_provider_name() {
    fails_with(
        &[("Elsa__Persistence__Provider", "Oracle")],
        &["Elsa:Persistence:Provider", "Oracle"],
    );
}

#[test]
fn valid_configuration_prints_effective_settings_without_secrets() {
    let (code, stdout, stderr) = check(&[
        (
            "ConnectionStrings__PostgreSql",
            "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=$(POSTGRES_PASSWORD)",
        ),
        ("POSTGRES_PASSWORD", "s3cret"),
        (
            "Elsa__Modules__Management__Persistence__Provider",
            "EntityFrameworkCore.PostgreSql",
        ),
        (
            "Elsa__Modules__Runtime__Persistence__Provider",
            "EntityFrameworkCore.PostgreSql",
        ),
        ("Elsa__Identity__ApiKey", "s3cret-key"),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("PostgreSql"), "{stdout}");
    assert!(
        stdout.contains("Elsa__Modules__Management__Persistence__Provider"),
        "{stdout}"
    );
    assert!(stdout.contains("Password=***"), "{stdout}");
    assert!(!stdout.contains("s3cret"), "{stdout}");
}

/// docs/configuration.md is what the binary prints (the library's test keeps it current).
#[test]
fn config_reference_prints_the_checked_in_reference() {
    let dir = tempfile::tempdir().unwrap();
    // Even where the configuration would not load.
    let out = run(
        dir.path(),
        &[("Elsa__Persistence__Provider", "Oracle")],
        &["config", "reference"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
    assert_eq!(text(&out.stdout), std::fs::read_to_string(docs).unwrap());
}
