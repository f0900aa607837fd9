//! `Elsa.SendHttpRequest`: sends a request (through the runtime) and runs the embedded activity
//! for the status code that came back — or `UnmatchedStatusCode`, `FailedToConnect`,
//! `Timeout` — completing after it.

use super::http_request::{self, REQUEST_INPUTS, RESPONSE_OUTPUTS, Response};
use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::json;
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor, PortDescriptor};
use crate::workflow::NodeIdx;
use elsa_model::Bookmark;
use serde_json::{Map, Value};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.SendHttpRequest",
    version: 1,
    category: "HTTP",
    display_name: "HTTP Request",
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
            "Object",
            "The status codes to handle, each with its activity.",
        )
        .raw()
        .ui_hint("http-status-codes"),
    ],
    outputs: RESPONSE_OUTPUTS,
    ports: &[
        PortDescriptor::embedded("UnmatchedStatusCode"),
        PortDescriptor::embedded("FailedToConnect"),
        PortDescriptor::embedded("Timeout"),
    ],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

#[derive(Debug)]
struct SendHttpRequest {
    cases: Vec<(u64, Option<NodeIdx>)>,
    unmatched: Option<NodeIdx>,
    failed_to_connect: Option<NodeIdx>,
    timeout: Option<NodeIdx>,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    let items = match builder.property("expectedStatusCodes") {
        None => Vec::new(),
        Some(json) => json::array(json)
            .ok_or_else(|| builder.malformed("'expectedStatusCodes' must be an array"))?
            .to_vec(),
    };
    let mut cases = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let object = item.as_object().ok_or_else(|| {
            builder.malformed(format!("expected status code {i} must be a JSON object"))
        })?;
        let code = json::property(object, "statusCode")
            .and_then(Value::as_u64)
            .ok_or_else(|| {
                builder.malformed(format!("expected status code {i} needs a 'statusCode'"))
            })?;
        let activity = match json::non_null(object, "activity") {
            Some(activity) => {
                Some(builder.child_at(activity, &format!("expectedStatusCodes[{i}].activity"))?)
            }
            None => None,
        };
        cases.push((code, activity));
    }
    Ok(Box::new(SendHttpRequest {
        cases,
        unmatched: builder.child("unmatchedStatusCode")?,
        failed_to_connect: builder.child("failedToConnect")?,
        timeout: builder.child("timeout")?,
    }))
}

impl Activity for SendHttpRequest {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        http_request::send(cx)
    }

    fn resume(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _bookmark: &Bookmark,
        input: &Map<String, Value>,
    ) -> Result<(), Fault> {
        let next = match http_request::receive(cx, input)? {
            Response::Received(status) => self
                .cases
                .iter()
                .find(|(code, _)| *code == u64::from(status))
                .map_or(self.unmatched, |(_, activity)| *activity),
            Response::FailedToConnect => self.failed_to_connect,
            Response::Timeout => self.timeout,
        };
        match next {
            Some(activity) => cx.schedule(activity),
            None => cx.complete(),
        }
        Ok(())
    }

    fn on_child_completed(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _child: &CompletedChild,
    ) -> Result<(), Fault> {
        cx.complete();
        Ok(())
    }
}
