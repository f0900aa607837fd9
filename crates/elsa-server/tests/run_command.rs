//! `elsa-server run FILE...`: stdout carries the WriteLine lines only, the exit code the outcome.

mod common;

use serde_json::json;
use std::path::Path;

fn write_definition(dir: &Path, name: &str, definition: serde_json::Value, bom: bool) {
    let mut bytes = if bom {
        b"\xEF\xBB\xBF".to_vec()
    } else {
        Vec::new()
    };
    bytes.extend(serde_json::to_vec_pretty(&definition).unwrap());
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn flowchart(definition_id: &str, activities: serde_json::Value) -> serde_json::Value {
    json!({
        "definitionId": definition_id,
        "name": definition_id,
        "inputs": [{"name": "Who", "type": "String"}],
        "root": {"type": "Elsa.Flowchart", "id": "Flowchart1", "activities": activities, "connections": []},
    })
}

fn write_line(id: &str, expression_type: &str, value: &str) -> serde_json::Value {
    json!({"id": id, "type": "Elsa.WriteLine", "text": {"typeName": "String", "expression": {"type": expression_type, "value": value}}})
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn prints_lines_and_exits_by_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let hello = flowchart(
        "hello",
        json!([write_line("W1", "JavaScript", "'Hello ' + getWho()")]),
    );
    write_definition(dir.path(), "hello.json", hello, true);
    let faulty = flowchart("faulty", json!([write_line("W1", "JavaScript", "nope()")]));
    write_definition(dir.path(), "faulty.json", faulty, false);

    let output = common::run(
        dir.path(),
        &[],
        &[
            "run",
            "hello.json",
            "faulty.json",
            "--input",
            r#"{"Who":"World"}"#,
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(stdout(&output), "Hello World\n", "logs never reach stdout");

    let output = common::run(
        dir.path(),
        &[],
        &[
            "run",
            "hello.json",
            "faulty.json",
            "--definition-id",
            "faulty",
        ],
    );
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    assert_eq!(stdout(&output), "");
    assert!(String::from_utf8_lossy(&output.stderr).contains("ReferenceError"));

    let output = common::run(dir.path(), &[], &["run", "hello.json", "--input", "[1]"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--input must be a JSON object"));
    let output = common::run(dir.path(), &[], &["run", "missing.json"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn until_end_resumes_bookmarks() {
    let dir = tempfile::tempdir().unwrap();
    let waiting = flowchart(
        "waiting",
        json!([
            {"id": "Wait", "type": "Elsa.Event", "eventName": "Go"},
            write_line("After", "Literal", "resumed"),
        ]),
    );
    let mut waiting = waiting;
    waiting["root"]["connections"] = json!([
        {"source": {"activity": "Wait", "port": "Done"}, "target": {"activity": "After", "port": "In"}}
    ]);
    write_definition(dir.path(), "waiting.json", waiting, false);

    let output = common::run(dir.path(), &[], &["run", "waiting.json"]);
    assert_eq!(output.status.code(), Some(3), "suspended: {output:?}");
    assert_eq!(stdout(&output), "");
    let output = common::run(dir.path(), &[], &["run", "waiting.json", "--until-end"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(stdout(&output), "resumed\n");
}
