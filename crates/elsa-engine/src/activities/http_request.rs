//! What `Elsa.SendHttpRequest` and `Elsa.FlowSendHttpRequest` share: their request inputs and
//! outputs, sending the request as an [`Effect::HttpRequest`] while waiting on a bookmark,
//! and reading the response the runtime resumes them with.

use crate::activity_context::ActivityContext;
use crate::effects::{Effect, HTTP_FAILURE_INPUT, HTTP_FAULT_INPUT, HTTP_RESPONSE_INPUT};
use crate::error::Fault;
use crate::registry::{DefaultValue, InputDescriptor, OutputDescriptor};
use crate::values::display;
use serde_json::{Map, Value};

/// The bookmark a request waits on (no stimulus outside the runtime matches it).
const BOOKMARK: &str = "Elsa.SendHttpRequest";

pub(super) const REQUEST_INPUTS: [InputDescriptor; 7] = [
    InputDescriptor::new("Url", "Uri", "The URL to send the request to."),
    InputDescriptor::new(
        "Method",
        "String",
        "The HTTP method to use when sending the request.",
    )
    .default(DefaultValue::Str("GET"))
    .ui_hint("dropdown"),
    InputDescriptor::new(
        "Content",
        "Object",
        "The contents to send as part of the request body.",
    ),
    InputDescriptor::new(
        "ContentType",
        "String",
        "The content type of the request body.",
    )
    .ui_hint("dropdown"),
    InputDescriptor::new(
        "Authorization",
        "String",
        "The Authorization header value to send.",
    ),
    InputDescriptor::new(
        "DisableAuthorizationHeaderValidation",
        "Boolean",
        "Send the Authorization header as is.",
    )
    .ui_hint("checkbox"),
    InputDescriptor::new(
        "RequestHeaders",
        "HttpHeaders",
        "The headers to send along with the request.",
    )
    .ui_hint("json-editor"),
];

pub(super) const RESPONSE_OUTPUTS: &[OutputDescriptor] = &[
    OutputDescriptor {
        name: "Result",
        type_name: "HttpResponseMessage",
        description: "The HTTP response.",
    },
    OutputDescriptor {
        name: "StatusCode",
        type_name: "Int32",
        description: "The HTTP response status code.",
    },
    OutputDescriptor {
        name: "ParsedContent",
        type_name: "Object",
        description: "The parsed content, if any.",
    },
    OutputDescriptor {
        name: "ResponseHeaders",
        type_name: "HttpHeaders",
        description: "The response headers that were received.",
    },
];

/// Asks the runtime to send the request described by the inputs; the activity waits.
pub(super) fn send(cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
    let url = display(cx.input("Url"));
    if url.is_empty() {
        // What .NET's HttpClient says of a request without an absolute URI.
        return Err(Fault::invalid_operation(
            "An invalid request URI was provided. Either the request URI must be an absolute URI or BaseAddress must be set.",
        ));
    }
    let optional = |cx: &ActivityContext<'_, '_>, name| {
        Some(display(cx.input(name))).filter(|text| !text.is_empty())
    };
    let method = optional(cx, "Method").unwrap_or_else(|| "GET".to_owned());
    // Elsa sends a body only when the content type is not null; a blank one means JSON.
    let content_type = match cx.input("ContentType") {
        Value::Null => None,
        value => Some(display(value)),
    };
    let authorization = optional(cx, "Authorization").filter(|text| !text.trim().is_empty());
    let disable_authorization_header_validation =
        cx.input_bool("DisableAuthorizationHeaderValidation");
    let headers = cx
        .input("RequestHeaders")
        .as_object()
        .cloned()
        .unwrap_or_default();
    let content = cx.input("Content").clone();
    let bookmark_id = cx.create_bookmark(BOOKMARK, Value::Object(Map::new()));
    cx.effect(Effect::HttpRequest {
        bookmark_id,
        method: method.to_uppercase(),
        url,
        content,
        content_type,
        authorization,
        disable_authorization_header_validation,
        headers,
    });
    Ok(())
}

/// What came back.
pub(super) enum Response {
    Received(u16),
    FailedToConnect,
    Timeout,
}

/// Reads the resume input and sets the response outputs.
pub(super) fn receive(
    cx: &mut ActivityContext<'_, '_>,
    input: &Map<String, Value>,
) -> Result<Response, Fault> {
    if let Some(fault) = input.get(HTTP_FAULT_INPUT) {
        let field = |name| fault.get(name).map(display).unwrap_or_default();
        return Err(Fault::new(exception_type(&field("type")), field("message")));
    }
    if let Some(failure) = input.get(HTTP_FAILURE_INPUT) {
        return Ok(match display(failure).as_str() {
            "Timeout" => Response::Timeout,
            _ => Response::FailedToConnect,
        });
    }
    let response = input
        .get(HTTP_RESPONSE_INPUT)
        .and_then(Value::as_object)
        .ok_or_else(|| {
            Fault::invalid_operation("The HTTP request was resumed without a response.")
        })?;
    let status = response
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
        .ok_or_else(|| Fault::invalid_operation("The HTTP response has no status code."))?;
    let content = response.get("content").cloned().unwrap_or(Value::Null);
    let headers = response
        .get("headers")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    cx.set_output("StatusCode", Value::from(status));
    cx.set_output("ParsedContent", content);
    cx.set_output("ResponseHeaders", headers);
    Ok(Response::Received(status))
}

/// The exception type names the runtime reports in [`HTTP_FAULT_INPUT`] (a fault's type is a
/// static name); anything else is a plain `Exception`.
fn exception_type(name: &str) -> &'static str {
    const KNOWN: [&str; 6] = [
        "FormatException",
        "InvalidOperationException",
        "NotSupportedException",
        "JsonException",
        "UriFormatException",
        "ArgumentException",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == name)
        .unwrap_or("Exception")
}
