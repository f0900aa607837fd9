//! `Elsa.FlowSendHttpRequest`: sends a request (through the runtime) and completes with the
//! matched status code — or `Unmatched status code` — plus `Done`; `Failed to connect` and
//! `Timeout` when no response came.

use super::Activity;
use super::http_request::{self, REQUEST_INPUTS, RESPONSE_OUTPUTS, Response};
use crate::activity_context::{ActivityContext, DONE};
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, PortDescriptor,
};
use elsa_model::Bookmark;
use serde_json::{Map, Value};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.FlowSendHttpRequest",
    version: 1,
    category: "HTTP",
    display_name: "HTTP Request (flow)",
    description: "Send an HTTP request.",
    kind: ActivityKind::Task,
    inputs: &[
        REQUEST_INPUTS[0],
        REQUEST_INPUTS[1],
        REQUEST_INPUTS[2],
        REQUEST_INPUTS[3],
        REQUEST_INPUTS[4],
        REQUEST_INPUTS[5],
        REQUEST_INPUTS[6],
        InputDescriptor::new(
            "ExpectedStatusCodes",
            "List<Int32>",
            "A list of expected status codes to handle.",
        )
        .default(DefaultValue::Str("[200]"))
        .ui_hint("multitext"),
    ],
    outputs: RESPONSE_OUTPUTS,
    // Besides these, each expected status code is a port.
    ports: &[
        PortDescriptor::flow(UNMATCHED),
        PortDescriptor::flow("Failed to connect"),
        PortDescriptor::flow("Timeout"),
        PortDescriptor::flow(DONE),
    ],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(FlowSendHttpRequest)),
};

const UNMATCHED: &str = "Unmatched status code";

#[derive(Debug)]
struct FlowSendHttpRequest;

impl Activity for FlowSendHttpRequest {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        http_request::send(cx)
    }

    fn resume(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _bookmark: &Bookmark,
        input: &Map<String, Value>,
    ) -> Result<(), Fault> {
        let outcomes = match http_request::receive(cx, input)? {
            Response::Received(status) => {
                // The default `[200]` is a literal string until converted.
                let expected: Vec<u64> = match cx.input("ExpectedStatusCodes") {
                    Value::Array(codes) => codes.iter().filter_map(Value::as_u64).collect(),
                    Value::String(text) => serde_json::from_str(text).unwrap_or_default(),
                    _ => Vec::new(),
                };
                let matched = if expected.contains(&u64::from(status)) {
                    Some(status.to_string())
                } else {
                    (!expected.is_empty()).then(|| UNMATCHED.to_owned())
                };
                matched.into_iter().chain([DONE.to_owned()]).collect()
            }
            Response::FailedToConnect => vec!["Failed to connect".to_owned()],
            Response::Timeout => vec!["Timeout".to_owned()],
        };
        cx.complete_with(outcomes);
        Ok(())
    }
}
