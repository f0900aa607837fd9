//! `Elsa.HttpEndpoint`: as the workflow's trigger it completes at once (the runtime matched the
//! request to its trigger); inside a workflow it waits for a request — one bookmark
//! `Elsa.HttpEndpoint {path, method}` per supported method, lower-cased as Elsa hashes them.
//! The runtime resumes it with the request data as input (or, as the trigger, starts the run
//! with it as [`crate::StartRequest::trigger_input`]); those keys become its outputs.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, OutputDescriptor,
    PortDescriptor,
};
use crate::values::display;
use elsa_model::Bookmark;
use serde_json::{Map, Value, json};

const fn output(name: &'static str, type_name: &'static str) -> OutputDescriptor {
    OutputDescriptor {
        name,
        type_name,
        description: "",
    }
}

/// The outputs the runtime fills from the request; also the input keys it resumes with.
const OUTPUTS: &[OutputDescriptor] = &[
    output("Result", "HttpRequest"),
    output("ParsedContent", "Object"),
    output("Files", "Object"),
    output("File", "Object"),
    output("RouteData", "ObjectDictionary"),
    output("QueryStringData", "ObjectDictionary"),
    output("Headers", "ObjectDictionary"),
];

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.HttpEndpoint",
    version: 1,
    category: "HTTP",
    display_name: "HTTP Endpoint",
    description: "Wait for an inbound HTTP request that matches the specified path and methods.",
    kind: ActivityKind::Trigger,
    inputs: &[
        InputDescriptor::new("Path", "String", "The path to associate with the workflow."),
        InputDescriptor::new(
            "SupportedMethods",
            "List<String>",
            "The HTTP methods to accept.",
        )
        .default(DefaultValue::Str("[\"GET\"]"))
        .ui_hint("checklist"),
        InputDescriptor::new("Authorize", "Boolean", "Allow authenticated requests only.")
            .default(DefaultValue::Bool(false))
            .ui_hint("checkbox"),
        InputDescriptor::new("Policy", "String", "The authorization policy to require."),
        InputDescriptor::new("RequestTimeout", "TimeSpan", "The maximum time to wait."),
        InputDescriptor::new(
            "RequestSizeLimit",
            "Int64",
            "The maximum request size in bytes.",
        ),
    ],
    outputs: OUTPUTS,
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(HttpEndpoint)),
};

#[derive(Debug)]
struct HttpEndpoint;

/// Who may call an endpoint, as payload fields: `authorize: true` (an authenticated caller)
/// and `policy` (a permission the caller must hold); absent when anyone may.
pub fn access_of(authorize: &Value, policy: &Value) -> Value {
    let mut access = Map::new();
    if matches!(authorize, Value::Bool(true)) || display(authorize).eq_ignore_ascii_case("true") {
        access.insert("authorize".into(), Value::Bool(true));
    }
    let policy = display(policy);
    if !policy.trim().is_empty() {
        access.insert("policy".into(), Value::from(policy.trim()));
    }
    Value::Object(access)
}

/// The payload of an endpoint's trigger or bookmark for one method: its route and, beside
/// it, who may call it ([`access_of`]).
pub fn endpoint_payload(path: &str, method: &str, access: &Value) -> Value {
    let mut payload = Map::from_iter([
        ("path".to_owned(), Value::from(path)),
        ("method".to_owned(), Value::from(method)),
    ]);
    if let Value::Object(access) = access {
        payload.extend(access.clone());
    }
    Value::Object(payload)
}

/// A route as Elsa keys HTTP triggers and bookmarks: lower case, one leading slash, no
/// trailing slash (`Orders/{id}/` → `/orders/{id}`).
pub fn normalize_route(path: &str) -> String {
    format!("/{}", path.trim().trim_matches('/').to_lowercase())
}

/// Copies the request data the runtime passed into the outputs.
fn set_request_outputs(cx: &mut ActivityContext<'_, '_>, request: &Map<String, Value>) {
    for output in OUTPUTS {
        if let Some(value) = request.get(output.name) {
            cx.set_output(output.name, value.clone());
        }
    }
}

impl Activity for HttpEndpoint {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        if cx.is_trigger() {
            let request = cx.trigger_input().clone();
            set_request_outputs(cx, &request);
            cx.complete();
            return Ok(());
        }
        let path = normalize_route(&display(cx.input("Path")));
        let methods = match cx.input("SupportedMethods") {
            Value::Array(methods) if !methods.is_empty() => methods.clone(),
            _ => vec![Value::from("GET")],
        };
        let access = access_of(cx.input("Authorize"), cx.input("Policy"));
        for method in methods {
            let method = display(&method).to_lowercase();
            // Found by its route; who may call it travels along (Elsa's `[ExcludeFromHash]`).
            let route = json!({ "path": path, "method": method });
            let payload = endpoint_payload(&path, &method, &access);
            cx.create_bookmark_hashed_on("Elsa.HttpEndpoint", payload, &route);
        }
        Ok(())
    }

    fn resume(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _bookmark: &Bookmark,
        input: &Map<String, Value>,
    ) -> Result<(), Fault> {
        set_request_outputs(cx, input);
        cx.complete();
        Ok(())
    }
}
