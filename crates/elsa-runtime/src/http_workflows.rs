//! Requests to HTTP workflows (`/workflows/...`, Elsa's `HttpWorkflowsMiddleware`): a request
//! that matches the route of one published `HttpEndpoint` trigger starts that workflow; else
//! one that matches a suspended instance's `HttpEndpoint` bookmark resumes it. The HTTP
//! framing (status line, body bytes) is the API's; this decides what runs and with what.

use crate::execution::Settled;
use crate::triggers::HTTP_ENDPOINT;
use crate::{ExecuteRequest, Runtime, RuntimeError};
use elsa_engine::{Effect, ResumeRequest, normalize_route};
use elsa_model::{VersionOptions, WorkflowInstance};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// An inbound request, as the API read it.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    /// Upper or lower case; compared lower case.
    pub method: String,
    /// The path below the base path (`/orders/42`).
    pub path: String,
    /// Query pairs in order (a key may repeat).
    pub query: Vec<(String, String)>,
    /// Header pairs in order (a name may repeat).
    pub headers: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The permissions of the authenticated caller; `None` for an anonymous request.
    pub caller: Option<Vec<String>>,
}

/// What `Elsa.WriteHttpResponse` asked to send.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenResponse {
    pub status_code: u16,
    pub content: Value,
    pub content_type: Option<String>,
    pub headers: Map<String, Value>,
}

/// How a request to an HTTP workflow ended.
#[derive(Debug, Clone)]
pub enum HttpOutcome {
    /// No trigger and no bookmark matches.
    NotFound,
    /// Several workflows match: Elsa refuses to choose (their definition ids).
    Ambiguous(Vec<String>),
    /// A workflow ran: the instance as committed and the first response it wrote, if any.
    Ran {
        instance: Box<WorkflowInstance>,
        response: Option<WrittenResponse>,
    },
    /// The body does not parse as its content type says.
    BadContent(String),
    /// The endpoint requires an authenticated caller (`authorize`) and the request had none.
    Unauthorized,
    /// The endpoint's `policy` names a permission the caller does not hold.
    Forbidden(String),
}

/// Whether `caller` may call an endpoint of `access` (its `authorize` and `policy`), as Elsa's
/// `AuthenticationBasedHttpEndpointAuthorizationHandler` decides; a policy is a permission
/// here, held as the API's routes require theirs.
fn denied(access: &Value, caller: Option<&[String]>) -> Option<HttpOutcome> {
    let policy = access.get("policy").and_then(Value::as_str);
    let authorize = access.get("authorize").is_some() || policy.is_some();
    match (caller, policy) {
        (None, _) if authorize => Some(HttpOutcome::Unauthorized),
        (Some(held), Some(policy)) if !elsa_model::permissions::allows(held, &[policy]) => {
            Some(HttpOutcome::Forbidden(policy.to_owned()))
        }
        _ => None,
    }
}

/// A template's route values for `path`, if it matches: segments compare case-insensitively;
/// `{name}` (also `{name:constraint}`, `{name?}`) captures one segment, `{*name}` the rest.
pub(crate) fn match_route(template: &str, path: &str) -> Option<Map<String, Value>> {
    let segments = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (template, path) = (segments(template), segments(path));
    let mut values = Map::new();
    for (i, part) in template.iter().enumerate() {
        let parameter = part
            .strip_prefix('{')
            .and_then(|p| p.strip_suffix('}'))
            .map(|p| p.split(':').next().unwrap_or(p));
        match parameter {
            Some(name) if name.starts_with('*') => {
                let rest = path.get(i..).unwrap_or_default().join("/");
                values.insert(name.trim_start_matches('*').to_owned(), Value::from(rest));
                return Some(values);
            }
            Some(name) if name.ends_with('?') && i >= path.len() => {}
            Some(name) => {
                values.insert(
                    name.trim_end_matches('?').to_owned(),
                    Value::from(path.get(i)?.as_str()),
                );
            }
            None if path.get(i)?.eq_ignore_ascii_case(part) => {}
            None => return None,
        }
    }
    (path.len() <= template.len()).then_some(values)
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `HttpEndpoint` outputs this request gives (also the keys its bookmark resumes with).
    fn outputs(&self, route_data: Map<String, Value>) -> Result<Map<String, Value>, String> {
        let mut outputs = Map::new();
        outputs.insert("RouteData".into(), Value::Object(route_data));
        outputs.insert("QueryStringData".into(), Value::Object(pairs(&self.query)));
        outputs.insert("Headers".into(), Value::Object(pairs(&self.headers)));
        if let Some(content) = self.parsed_content()? {
            outputs.insert("ParsedContent".into(), content);
        }
        Ok(outputs)
    }

    /// The body by content type (see [`Self::content_by_type`]); content holding a NUL
    /// character is refused, since no store can keep it.
    fn parsed_content(&self) -> Result<Option<Value>, String> {
        let content = self.content_by_type()?;
        if let Some(path) = content.as_ref().and_then(elsa_model::nul_at) {
            return Err(format!(
                "The request body holds a NUL character at {path}, which cannot be stored."
            ));
        }
        Ok(content)
    }

    /// The body by content type: JSON parsed, a form as a dictionary, text as a string;
    /// other types and empty bodies give no parsed content.
    fn content_by_type(&self) -> Result<Option<Value>, String> {
        let Some(content_type) = &self.content_type else {
            return Ok(None);
        };
        if self.body.is_empty() {
            return Ok(None);
        }
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if media_type == "application/json" || media_type.ends_with("+json") {
            return elsa_model::parse_bounded(&self.body)
                .map(Some)
                .map_err(|e| format!("The request body cannot be read as JSON: {e}."));
        }
        if media_type == "application/x-www-form-urlencoded" {
            let form: Vec<(String, String)> = form_urlencoded::parse(&self.body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            return Ok(Some(Value::Object(pairs(&form))));
        }
        if media_type.starts_with("text/") || media_type.ends_with("/xml") {
            return Ok(Some(Value::from(
                String::from_utf8_lossy(&self.body).into_owned(),
            )));
        }
        Ok(None)
    }
}

/// Pairs as a dictionary: one value as a string, a repeated key as a list.
fn pairs(items: &[(String, String)]) -> Map<String, Value> {
    let mut map = Map::new();
    for (key, value) in items {
        match map.get_mut(key) {
            Some(Value::Array(values)) => values.push(Value::from(value.as_str())),
            Some(first) => *first = Value::Array(vec![first.take(), Value::from(value.as_str())]),
            None => {
                map.insert(key.clone(), Value::from(value.as_str()));
            }
        }
    }
    map
}

impl Runtime {
    /// Handles one request to an HTTP workflow (see the module documentation). `?correlationId=`
    /// or `X-Correlation-ID` sets a new instance's correlation id and, like
    /// `?workflowInstanceId=` / `X-Workflow-Instance-ID`, narrows the bookmarks considered.
    pub async fn handle_http(&self, request: &HttpRequest) -> Result<HttpOutcome, RuntimeError> {
        // Templates are matched case-insensitively, but route values keep the request's case.
        let path = request.path.trim();
        let method = request.method.to_lowercase();
        let correlation_id = request
            .query_value("correlationId")
            .or_else(|| request.header("X-Correlation-ID"))
            .map(str::to_owned);
        let instance_id = request
            .query_value("workflowInstanceId")
            .or_else(|| request.header("X-Workflow-Instance-ID"))
            .map(str::to_owned);

        let table = self.route_table().await?;
        let triggered: Vec<_> = table
            .routes
            .iter()
            .filter(|route| route.method == method)
            .filter_map(|route| Some((route, match_route(&route.path, path)?)))
            .collect();
        let definitions: BTreeSet<&str> = triggered
            .iter()
            .map(|(route, _)| route.definition_id.as_str())
            .collect();
        if definitions.len() > 1 {
            return Ok(HttpOutcome::Ambiguous(
                definitions.into_iter().map(str::to_owned).collect(),
            ));
        }
        if let Some((route, route_data)) = triggered.into_iter().next() {
            if let Some(denied) = denied(&route.access, request.caller.as_deref()) {
                return Ok(denied);
            }
            let trigger_input = match request.outputs(route_data) {
                Ok(outputs) => outputs,
                Err(message) => return Ok(HttpOutcome::BadContent(message)),
            };
            let definition = self
                .definitions
                .find(&route.definition_id, VersionOptions::Published)
                .await?
                .ok_or_else(|| RuntimeError::DefinitionNotFound(route.definition_id.clone()))?;
            let settled = self
                .run_new(
                    &self.workflow(&definition).await?,
                    ExecuteRequest {
                        correlation_id,
                        trigger_activity_id: Some(route.activity_id.clone()),
                        trigger_input,
                        ..ExecuteRequest::default()
                    },
                )
                .await?;
            return Ok(ran(settled));
        }

        let waiting: Vec<_> = self
            .instances
            .bookmarks_named(HTTP_ENDPOINT)
            .await?
            .into_iter()
            .filter(|stored| {
                instance_id
                    .as_ref()
                    .is_none_or(|id| *id == stored.workflow_instance_id)
                    && correlation_id
                        .as_ref()
                        .is_none_or(|id| Some(id) == stored.correlation_id.as_ref())
                    && stored.bookmark.payload["method"].as_str() == Some(method.as_str())
            })
            .filter_map(|stored| {
                let template = stored.bookmark.payload["path"].as_str()?;
                let route_data = match_route(&normalize_route(template), path)?;
                Some((stored, route_data))
            })
            .collect();
        let instances: BTreeSet<&str> = waiting
            .iter()
            .map(|(stored, _)| stored.workflow_instance_id.as_str())
            .collect();
        if instances.len() > 1 {
            let mut definitions = BTreeSet::new();
            for id in instances {
                if let Some((instance, _)) = self.instances.get(id).await? {
                    definitions.insert(instance.definition_id);
                }
            }
            return Ok(HttpOutcome::Ambiguous(definitions.into_iter().collect()));
        }
        let Some((stored, route_data)) = waiting.into_iter().next() else {
            return Ok(HttpOutcome::NotFound);
        };
        let access = crate::triggers::access_in(&stored.bookmark.payload);
        if let Some(denied) = denied(&access, request.caller.as_deref()) {
            return Ok(denied);
        }
        let input = match request.outputs(route_data) {
            Ok(outputs) => outputs,
            Err(message) => return Ok(HttpOutcome::BadContent(message)),
        };
        let settled = self
            .resume_settled(
                &stored.workflow_instance_id,
                ResumeRequest {
                    bookmark_id: stored.bookmark.id,
                    input,
                },
            )
            .await?;
        Ok(ran(settled))
    }
}

/// The instance and the first response written: once a response has started, Elsa's later
/// writes cannot change it.
fn ran(settled: Settled) -> HttpOutcome {
    let response = settled
        .responses
        .into_iter()
        .find_map(|effect| match effect {
            Effect::HttpResponse {
                status_code,
                content,
                content_type,
                headers,
            } => Some(WrittenResponse {
                status_code,
                content,
                content_type,
                headers,
            }),
            _ => None,
        });
    HttpOutcome::Ran {
        instance: Box::new(settled.outcome.instance),
        response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_templates() {
        assert_eq!(
            match_route("/hello-world", "/Hello-World"),
            Some(Map::new())
        );
        assert_eq!(match_route("/hello", "/hello/more"), None);
        assert_eq!(match_route("/hello/world", "/hello"), None);
        assert_eq!(
            match_route("/orders/{id}", "/orders/A42"),
            json!({"id": "A42"}).as_object().cloned()
        );
        assert_eq!(
            match_route("/orders/{id:int}/{part?}", "/orders/7"),
            json!({"id": "7"}).as_object().cloned()
        );
        assert_eq!(
            match_route("/files/{*rest}", "/files/a/b"),
            json!({"rest": "a/b"}).as_object().cloned()
        );
        assert_eq!(match_route("/", "/"), Some(Map::new()));
    }

    #[test]
    fn parses_content_by_type() {
        let request = |content_type: &str, body: &str| HttpRequest {
            content_type: Some(content_type.into()),
            body: body.as_bytes().to_vec(),
            ..HttpRequest::default()
        };
        assert_eq!(
            request("application/json", r#"{"a":1}"#).parsed_content(),
            Ok(Some(json!({"a": 1})))
        );
        assert_eq!(
            request("text/plain; charset=utf-8", "{}").parsed_content(),
            Ok(Some(json!("{}")))
        );
        assert_eq!(
            request("application/x-www-form-urlencoded", "a=1&a=2&b=x").parsed_content(),
            Ok(Some(json!({"a": ["1", "2"], "b": "x"})))
        );
        assert_eq!(request("image/png", "xx").parsed_content(), Ok(None));
        assert!(request("application/json", "{").parsed_content().is_err());
    }
}
