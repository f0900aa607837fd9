//! `Elsa.WriteHttpResponse`: the response to the current HTTP request, as an
//! [`Effect::HttpResponse`] the runtime writes.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::effects::Effect;
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, PortDescriptor,
};
use crate::values::display;
use serde_json::Value;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.WriteHttpResponse",
    version: 1,
    category: "HTTP",
    display_name: "HTTP Response",
    description: "Write a response to the current HTTP response object.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new("StatusCode", "HttpStatusCode", "The status code to return.")
            .default(DefaultValue::Str("OK"))
            .ui_hint("dropdown"),
        InputDescriptor::new("Content", "Object", "The content to write back."),
        InputDescriptor::new("ContentType", "String", "The content type of the response.")
            .ui_hint("dropdown"),
        InputDescriptor::new("ResponseHeaders", "HttpHeaders", "The headers to return.")
            .ui_hint("json-editor"),
    ],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(WriteHttpResponse)),
};

#[derive(Debug)]
struct WriteHttpResponse;

impl Activity for WriteHttpResponse {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let status = cx.input("StatusCode");
        let status_code = status_code(status).ok_or_else(|| {
            Fault::invalid_operation(format!("{status} is not an HTTP status code."))
        })?;
        let content_type = Some(display(cx.input("ContentType"))).filter(|t| !t.is_empty());
        let headers = cx
            .input("ResponseHeaders")
            .as_object()
            .cloned()
            .unwrap_or_default();
        let effect = Effect::HttpResponse {
            status_code,
            content: cx.input("Content").clone(),
            content_type,
            headers,
        };
        cx.effect(effect);
        cx.complete();
        Ok(())
    }
}

/// .NET's `HttpStatusCode`: a number, or one of the names Studio's dropdown offers.
fn status_code(value: &Value) -> Option<u16> {
    if let Some(code) = value.as_u64() {
        return u16::try_from(code)
            .ok()
            .filter(|code| (100..=599).contains(code));
    }
    let name = display(value);
    if let Ok(code) = name.trim().parse::<u16>() {
        return (100..=599).contains(&code).then_some(code);
    }
    const NAMES: &[(&str, u16)] = &[
        ("Continue", 100),
        ("OK", 200),
        ("Created", 201),
        ("Accepted", 202),
        ("NoContent", 204),
        ("MovedPermanently", 301),
        ("Found", 302),
        ("Redirect", 302),
        ("SeeOther", 303),
        ("NotModified", 304),
        ("TemporaryRedirect", 307),
        ("PermanentRedirect", 308),
        ("BadRequest", 400),
        ("Unauthorized", 401),
        ("Forbidden", 403),
        ("NotFound", 404),
        ("MethodNotAllowed", 405),
        ("NotAcceptable", 406),
        ("RequestTimeout", 408),
        ("Conflict", 409),
        ("Gone", 410),
        ("PreconditionFailed", 412),
        ("RequestEntityTooLarge", 413),
        ("UnsupportedMediaType", 415),
        ("UnprocessableEntity", 422),
        ("TooManyRequests", 429),
        ("InternalServerError", 500),
        ("NotImplemented", 501),
        ("BadGateway", 502),
        ("ServiceUnavailable", 503),
        ("GatewayTimeout", 504),
    ];
    let name = if name.is_empty() { "OK" } else { name.trim() };
    NAMES
        .iter()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(_, code)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_status_names_and_numbers() {
        assert_eq!(status_code(&json!("OK")), Some(200));
        assert_eq!(status_code(&json!("notFound")), Some(404));
        assert_eq!(status_code(&json!(201)), Some(201));
        assert_eq!(status_code(&json!("418")), Some(418));
        assert_eq!(status_code(&Value::Null), Some(200));
        assert_eq!(status_code(&json!("Teapot")), None);
        assert_eq!(status_code(&json!(99999)), None);
    }
}
