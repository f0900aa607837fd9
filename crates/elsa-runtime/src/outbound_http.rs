//! Sends the requests of `Elsa.SendHttpRequest` and `Elsa.FlowSendHttpRequest`
//! ([`Effect::HttpRequest`]) the way Elsa's `SendHttpRequestBase` does, and answers with the
//! input that resumes the activity's bookmark:
//!
//! - a response, whatever its status: [`HTTP_RESPONSE_INPUT`] →
//!   `{"statusCode", "headers", "content"}`. `headers` are the response headers without the
//!   content headers (`Content-Type`, `Content-Length`, …), as .NET splits them, in Elsa's
//!   `HttpHeaders` shape `{"Name": ["value", ..]}`: one value per header line, names in .NET's
//!   casing (`Date`, `ETag`) since the wire's is lost. `content` is null for an empty
//!   body, the parsed JSON for `application/json` (exactly: Elsa parses no other JSON type),
//!   else the body as text (UTF-8; Elsa hands binary types over as a file stream, which a JSON
//!   state cannot hold);
//! - no response: [`HTTP_FAILURE_INPUT`] → `"Timeout"` when the whole exchange, body included,
//!   took longer than the timeout (.NET's `HttpClient.Timeout`, 100 s by default), else
//!   `"FailedToConnect"` (.NET's `HttpRequestException`: refused, DNS, TLS, broken response,
//!   a body over [`MAX_RESPONSE_BYTES`] — .NET fails the same way past its buffer limit);
//! - a request Elsa could not build, or a JSON response that does not parse: the exception
//!   that faults the activity, [`HTTP_FAULT_INPUT`] → `{"type", "message"}`.
//!
//! The body is sent only when a content type is given (null means none, as in Elsa), chosen
//! by media type as Elsa's `IHttpContentFactory`s do: text types send text, JSON and unknown
//! types send JSON (a string as is), `application/x-www-form-urlencoded` encodes an object,
//! XML types send a string, `application/octet-stream` takes no JSON value. HTTP/1.1 only,
//! redirects followed as .NET does (at most 50, never from HTTPS to HTTP), no decompression,
//! TLS by rustls on ring with the Mozilla roots compiled in.

use elsa_engine::{Effect, HTTP_FAILURE_INPUT, HTTP_FAULT_INPUT, HTTP_RESPONSE_INPUT};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

/// .NET's `HttpClient.Timeout` default, which Elsa keeps.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(100);
/// The most response body read (.NET buffers up to 2 GiB; a workflow's state holds it all).
pub(crate) const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// .NET's `HttpClientHandler.MaxAutomaticRedirections`.
const MAX_REDIRECTS: usize = 50;

/// One request, as the runtime stores it until it is sent (field names are stable: they are
/// written to the database).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OutboundRequest {
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub content: Value,
    /// `None`: no body. Blank: the content as JSON.
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub authorization: Option<String>,
    #[serde(default)]
    pub disable_authorization_header_validation: bool,
    /// `RequestHeaders`: each value a string or an array of them.
    #[serde(default)]
    pub headers: Map<String, Value>,
}

impl OutboundRequest {
    /// The bookmark to resume and the request to send, if `effect` is an HTTP request.
    pub(crate) fn from_effect(effect: &Effect) -> Option<(String, Self)> {
        let Effect::HttpRequest {
            bookmark_id,
            method,
            url,
            content,
            content_type,
            authorization,
            disable_authorization_header_validation,
            headers,
        } = effect
        else {
            return None;
        };
        let request = Self {
            method: method.clone(),
            url: url.clone(),
            content: content.clone(),
            content_type: content_type.clone(),
            authorization: authorization.clone(),
            disable_authorization_header_validation: *disable_authorization_header_validation,
            headers: headers.clone(),
        };
        Some((bookmark_id.clone(), request))
    }
}

/// The client could not be set up (TLS configuration).
#[derive(Debug, thiserror::Error)]
#[error("the outbound HTTP client cannot be built: {0}")]
pub(crate) struct ClientBuildError(String);

/// Sends [`OutboundRequest`]s over one shared connection pool.
#[derive(Debug, Clone)]
pub(crate) struct OutboundHttp {
    client: reqwest::Client,
    timeout: Duration,
    max_response_bytes: usize,
}

impl OutboundHttp {
    /// A client whose exchanges (connect, send, read the whole body) end after `timeout`.
    pub(crate) fn new(timeout: Duration) -> Result<Self, ClientBuildError> {
        Self::with_limits(timeout, MAX_RESPONSE_BYTES)
    }

    /// [`OutboundHttp::new`] reading at most `max_response_bytes` of a response body.
    pub(crate) fn with_limits(
        timeout: Duration,
        max_response_bytes: usize,
    ) -> Result<Self, ClientBuildError> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let downgrade = attempt.url().scheme() != "https"
                    && attempt
                        .previous()
                        .last()
                        .is_some_and(|url| url.scheme() == "https");
                let unsupported = !matches!(attempt.url().scheme(), "http" | "https");
                // .NET answers with the redirect itself rather than failing.
                if downgrade || unsupported || attempt.previous().len() > MAX_REDIRECTS {
                    attempt.stop()
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|error| ClientBuildError(error.to_string()))?;
        Ok(Self {
            client,
            timeout,
            max_response_bytes,
        })
    }

    /// Sends `request` and returns the input that resumes its activity: exactly one of
    /// [`HTTP_RESPONSE_INPUT`], [`HTTP_FAILURE_INPUT`], [`HTTP_FAULT_INPUT`].
    pub(crate) async fn send(&self, request: &OutboundRequest) -> Map<String, Value> {
        let outcome = match self.prepare(request) {
            Ok(Some(prepared)) => {
                match tokio::time::timeout(self.timeout, self.exchange(prepared)).await {
                    Ok(outcome) => outcome,
                    Err(_elapsed) => Outcome::Failure("Timeout"),
                }
            }
            // .NET refuses to send a header value that is not ASCII: an HttpRequestException.
            Ok(None) => Outcome::Failure("FailedToConnect"),
            Err(fault) => Outcome::Fault(fault),
        };
        let (key, value) = match outcome {
            Outcome::Response(response) => (HTTP_RESPONSE_INPUT, response),
            Outcome::Failure(failure) => (HTTP_FAILURE_INPUT, Value::from(failure)),
            Outcome::Fault(fault) => (
                HTTP_FAULT_INPUT,
                json!({"type": fault.exception_type, "message": fault.message}),
            ),
        };
        Map::from_iter([(key.to_owned(), value)])
    }

    /// Elsa's `PrepareRequest`: what it rejects faults the activity before anything is sent.
    /// `None`: a request .NET would build but not send.
    fn prepare(&self, request: &OutboundRequest) -> Result<Option<reqwest::RequestBuilder>, Fault> {
        let method = parse_method(&request.method)?;
        let url = parse_url(&request.url)?;
        let mut headers: Vec<(HeaderName, String)> = Vec::new();
        if let Some(authorization) = &request.authorization {
            let value = if request.disable_authorization_header_validation {
                authorization.clone()
            } else {
                normalize_authorization(authorization).ok_or_else(|| {
                    Fault::format(format!("The format of value '{authorization}' is invalid."))
                })?
            };
            headers.push((reqwest::header::AUTHORIZATION, value));
        }
        for (name, values) in &request.headers {
            let header = request_header_name(name)?;
            if header == reqwest::header::AUTHORIZATION && request.authorization.is_some() {
                return Err(Fault::format(format!(
                    "Cannot add value because header '{name}' does not support multiple values."
                )));
            }
            let values = header_values(values);
            if values.iter().any(|v| v.contains(['\r', '\n'])) {
                return Err(Fault::format(
                    "New-line characters are not allowed in header values.",
                ));
            }
            if !values.is_empty() {
                headers.push((header, values.join(", ")));
            }
        }
        let body = request_body(&request.content, request.content_type.as_deref())?;

        let mut header_map = HeaderMap::new();
        for (name, value) in headers {
            let Ok(value) = HeaderValue::from_str(&value) else {
                return Ok(None);
            };
            if !value.as_bytes().is_ascii() {
                return Ok(None);
            }
            header_map.append(name, value);
        }
        let mut builder = self.client.request(method, url);
        if let Some(Body {
            bytes,
            content_type,
        }) = body
        {
            let Ok(value) = HeaderValue::from_str(&content_type) else {
                return Ok(None);
            };
            if !content_type.is_ascii() {
                return Ok(None);
            }
            header_map.insert(CONTENT_TYPE, value);
            builder = builder.body(bytes);
        }
        Ok(Some(builder.headers(header_map)))
    }

    /// Sends the request and reads the whole response (the caller bounds the time).
    async fn exchange(&self, builder: reqwest::RequestBuilder) -> Outcome {
        let mut response = match builder.send().await {
            Ok(response) => response,
            Err(error) => return Outcome::from_error(&error),
        };
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|length| length > self.max_response_bytes as u64) {
            return Outcome::Failure("FailedToConnect");
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.max_response_bytes {
                        return Outcome::Failure("FailedToConnect");
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => return Outcome::from_error(&error),
            }
        }
        let content = match parse_content(response.headers(), &body) {
            Ok(content) => content,
            Err(fault) => return Outcome::Fault(fault),
        };
        Outcome::Response(json!({
            "statusCode": response.status().as_u16(),
            "headers": response_headers(response.headers()),
            "content": content,
        }))
    }
}

/// rustls on the ring provider, trusting the Mozilla root store compiled into the binary (the
/// release image has no CA bundle to read).
fn tls_config() -> Result<rustls::ClientConfig, ClientBuildError> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| ClientBuildError(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

enum Outcome {
    Response(Value),
    Failure(&'static str),
    Fault(Fault),
}

impl Outcome {
    fn from_error(error: &reqwest::Error) -> Self {
        Self::Failure(if error.is_timeout() {
            "Timeout"
        } else {
            "FailedToConnect"
        })
    }
}

/// An exception that faults the activity, named as .NET names it.
#[derive(Debug, Clone, PartialEq)]
struct Fault {
    exception_type: &'static str,
    message: String,
}

impl Fault {
    fn new(exception_type: &'static str, message: impl Into<String>) -> Self {
        Self {
            exception_type,
            message: message.into(),
        }
    }

    fn format(message: impl Into<String>) -> Self {
        Self::new("FormatException", message)
    }

    fn invalid_operation(message: impl Into<String>) -> Self {
        Self::new("InvalidOperationException", message)
    }
}

/// RFC 9110 `tchar`.
fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_token_char)
}

/// `new HttpMethod(method)`.
fn parse_method(method: &str) -> Result<reqwest::Method, Fault> {
    if method.is_empty() {
        return Err(Fault::new(
            "ArgumentException",
            "The value cannot be an empty string. (Parameter 'method')",
        ));
    }
    if !is_token(method) {
        return Err(Fault::format("The format of the HTTP method is invalid."));
    }
    reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| Fault::format("The format of the HTTP method is invalid."))
}

/// The `Uri` input and what `HttpClient` accepts of it: absolute, `http` or `https`.
fn parse_url(url: &str) -> Result<reqwest::Url, Fault> {
    let url = url.trim();
    let scheme = url
        .split_once(':')
        .map(|(scheme, _)| scheme)
        .filter(|scheme| {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        });
    let Some(scheme) = scheme else {
        return Err(Fault::invalid_operation(
            "An invalid request URI was provided. Either the request URI must be an absolute URI or BaseAddress must be set.",
        ));
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(Fault::new(
            "NotSupportedException",
            format!(
                "The '{}' scheme is not supported.",
                scheme.to_ascii_lowercase()
            ),
        ));
    }
    reqwest::Url::parse(url)
        .map_err(|error| Fault::new("UriFormatException", format!("Invalid URI: {error}.")))
}

/// `AuthenticationHeaderValue.Parse(value).ToString()`: `scheme [parameter]`, the scheme a
/// token, one space before the parameter; `None` when it does not parse.
fn normalize_authorization(value: &str) -> Option<String> {
    let value = value.trim_matches([' ', '\t']);
    let scheme_length = value.bytes().take_while(|b| is_token_char(*b)).count();
    let (scheme, rest) = value.split_at(scheme_length);
    if scheme.is_empty() {
        return None;
    }
    if rest.is_empty() {
        return Some(scheme.to_owned());
    }
    let parameter = rest.trim_start_matches([' ', '\t']);
    let separated = parameter.len() < rest.len();
    let printable = parameter
        .bytes()
        .all(|b| b == b'\t' || !b.is_ascii_control());
    (separated && printable && !parameter.starts_with(',')).then(|| format!("{scheme} {parameter}"))
}

/// .NET's content headers: on the content of a message, never among its other headers.
const CONTENT_HEADERS: [&str; 11] = [
    "allow",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-md5",
    "content-range",
    "content-type",
    "expires",
    "last-modified",
];

/// Headers .NET allows only on a response.
const RESPONSE_ONLY_HEADERS: [&str; 9] = [
    "accept-ranges",
    "age",
    "etag",
    "location",
    "proxy-authenticate",
    "retry-after",
    "server",
    "vary",
    "www-authenticate",
];

/// `request.Headers.Add(name, ..)`: a token, and not a header of another kind.
fn request_header_name(name: &str) -> Result<HeaderName, Fault> {
    if !is_token(name) {
        return Err(Fault::format(format!(
            "The header name '{name}' format is invalid."
        )));
    }
    let lower = name.to_ascii_lowercase();
    if CONTENT_HEADERS.contains(&lower.as_str()) || RESPONSE_ONLY_HEADERS.contains(&lower.as_str())
    {
        return Err(Fault::invalid_operation(format!(
            "Misused header name, '{name}'. Make sure request headers are used with HttpRequestMessage, response headers with HttpResponseMessage, and content headers with HttpContent objects."
        )));
    }
    HeaderName::from_bytes(lower.as_bytes())
        .map_err(|_| Fault::format(format!("The header name '{name}' format is invalid.")))
}

/// A `RequestHeaders` entry's values: a string, or an array of values.
fn header_values(value: &Value) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().filter(|v| !v.is_null()).map(text).collect(),
        other => vec![text(other)],
    }
}

/// A value as .NET's `ToString()` writes it (objects and arrays as JSON, where .NET would
/// write their type name).
fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

struct Body {
    bytes: Vec<u8>,
    content_type: String,
}

/// Elsa's content factories, chosen by the media type of `content_type`.
fn request_body(content: &Value, content_type: Option<&str>) -> Result<Option<Body>, Fault> {
    let Some(content_type) = content_type else {
        return Ok(None);
    };
    if content.is_null() {
        return Ok(None);
    }
    let json_text = || match content {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let body = |text: String, content_type: &str| {
        Some(Body {
            bytes: text.into_bytes(),
            content_type: content_type.to_owned(),
        })
    };
    if content_type.trim().is_empty() {
        return Ok(body(json_text(), "application/json"));
    }
    let media_type = media_type(content_type)
        .ok_or_else(|| Fault::format("The specified content type is invalid."))?;
    Ok(match media_type.as_str() {
        "text/plain" | "text/richtext" | "text/html" => body(text(content), content_type),
        "application/xml" | "text/xml" | "application/soap+xml" => match content {
            Value::String(xml) => body(xml.clone(), content_type),
            _ => {
                return Err(Fault::invalid_operation(
                    "There was an error generating the XML document: only text can be sent as XML.",
                ));
            }
        },
        "application/x-www-form-urlencoded" => {
            let Value::Object(fields) = content else {
                return Err(Fault::new(
                    "JsonException",
                    "The JSON value could not be converted to System.Collections.Generic.Dictionary`2[System.String,System.String].",
                ));
            };
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (name, value) in fields {
                form.append_pair(name, &text(value));
            }
            body(form.finish(), "application/x-www-form-urlencoded")
        }
        "application/octet-stream" => {
            return Err(Fault::new(
                "NotSupportedException",
                format!("Content of type {} is not supported.", dotnet_type(content)),
            ));
        }
        // JSON, and every type no factory claims.
        _ => body(json_text(), content_type),
    })
}

/// The .NET type a JSON value becomes in a workflow.
fn dotnet_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "System.Object",
        Value::Bool(_) => "System.Boolean",
        Value::Number(n) if n.is_f64() => "System.Double",
        Value::Number(_) => "System.Int64",
        Value::String(_) => "System.String",
        Value::Array(_) => "System.Collections.Generic.List`1[System.Object]",
        Value::Object(_) => "System.Dynamic.ExpandoObject",
    }
}

/// `type/subtype` of a content type, lower-cased; `None` when it is not one.
fn media_type(content_type: &str) -> Option<String> {
    let essence = content_type.split(';').next()?.trim();
    let (kind, subtype) = essence.split_once('/')?;
    (is_token(kind) && is_token(subtype)).then(|| essence.to_ascii_lowercase())
}

/// Elsa's `ParseContentAsync`: nothing for an empty body; `application/json` (exactly, no
/// other JSON type) parsed; anything else as text. NUL characters become U+FFFD (the content
/// is kept with the instance, and no store holds a NUL alike).
fn parse_content(headers: &HeaderMap, body: &[u8]) -> Result<Value, Fault> {
    parse_raw_content(headers, body).map(elsa_model::storable_value)
}

fn parse_raw_content(headers: &HeaderMap, body: &[u8]) -> Result<Value, Fault> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    // .NET's StreamReader: UTF-8, a byte-order mark dropped.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = String::from_utf8_lossy(body);
    let media_type = headers
        .get(CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        });
    if media_type.as_deref() != Some("application/json") {
        return Ok(Value::String(text.into_owned()));
    }
    serde_json::from_str(&text).map_err(|error| {
        Fault::new(
            "JsonException",
            format!("The response is not valid JSON: {error}."),
        )
    })
}

/// Elsa's `ResponseHeaders`: `new HttpHeaders(response.Headers)` — the response headers
/// without the content headers, each name with its values.
fn response_headers(headers: &HeaderMap) -> Map<String, Value> {
    let mut result = Map::new();
    for (name, value) in headers {
        if CONTENT_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value = Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned());
        match result
            .entry(dotnet_header_name(name.as_str()))
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(values) => values.push(value),
            _ => unreachable!("every entry is an array"),
        }
    }
    result
}

/// A header name as .NET spells it: its known names' casing (`ETag`, `WWW-Authenticate`),
/// else each word capitalised (the wire's casing does not survive HTTP/1 parsing here).
fn dotnet_header_name(lower: &str) -> String {
    match lower {
        "etag" => "ETag".to_owned(),
        "www-authenticate" => "WWW-Authenticate".to_owned(),
        "te" => "TE".to_owned(),
        "content-md5" => "Content-MD5".to_owned(),
        _ => lower
            .split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect::<Vec<_>>()
            .join("-"),
    }
}

#[cfg(test)]
mod tests {
    //! Against servers on 127.0.0.1: axum for well-formed exchanges, raw sockets for the rest.

    use super::*;
    use axum::Router;
    use axum::body::{Body as AxumBody, to_bytes};
    use axum::extract::Request;
    use axum::http::{Response, StatusCode};
    use axum::routing::any;
    use std::sync::Mutex;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// What a server received: method, headers, body.
    type Seen = Arc<Mutex<Option<(String, HeaderMap, Vec<u8>)>>>;

    async fn serve(router: Router) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        format!("http://{address}")
    }

    /// A server answering every request with `respond()` and recording the last request.
    async fn recording(
        respond: impl Fn() -> Response<AxumBody> + Clone + Send + Sync + 'static,
    ) -> (String, Seen) {
        let seen: Seen = Arc::default();
        let record = seen.clone();
        let router = Router::new().fallback(any(move |request: Request| {
            let (record, respond) = (record.clone(), respond.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = to_bytes(body, usize::MAX).await.unwrap().to_vec();
                *record.lock().unwrap() = Some((parts.method.to_string(), parts.headers, body));
                respond()
            }
        }));
        (serve(router).await, seen)
    }

    /// A server that answers one connection with `response`, byte for byte, then closes it —
    /// or, with `hold`, keeps it open without another byte.
    async fn raw(response: impl Into<Vec<u8>>, hold: bool) -> String {
        let response = response.into();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut buffer = [0; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let read = socket.read(&mut buffer).await.unwrap();
                if read == 0 {
                    return;
                }
                head.extend_from_slice(&buffer[..read]);
            }
            let _ = socket.write_all(&response).await;
            if hold {
                std::future::pending::<()>().await;
            }
            let _ = socket.shutdown().await;
        });
        format!("http://{address}")
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response<AxumBody> {
        let mut builder = Response::builder().status(StatusCode::from_u16(status).unwrap());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(AxumBody::from(body.to_owned())).unwrap()
    }

    fn get(url: &str) -> OutboundRequest {
        OutboundRequest {
            method: "GET".into(),
            url: url.into(),
            content: Value::Null,
            content_type: None,
            authorization: None,
            disable_authorization_header_validation: false,
            headers: Map::new(),
        }
    }

    fn client() -> OutboundHttp {
        OutboundHttp::new(DEFAULT_TIMEOUT).unwrap()
    }

    fn answer(input: &Map<String, Value>) -> &Value {
        input
            .get(HTTP_RESPONSE_INPUT)
            .unwrap_or_else(|| panic!("a response expected: {input:?}"))
    }

    fn fault(input: &Map<String, Value>) -> (String, String) {
        let fault = input
            .get(HTTP_FAULT_INPUT)
            .unwrap_or_else(|| panic!("a fault expected: {input:?}"));
        (text(&fault["type"]), text(&fault["message"]))
    }

    fn failure(input: &Map<String, Value>) -> &str {
        input
            .get(HTTP_FAILURE_INPUT)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("a failure expected: {input:?}"))
    }

    #[tokio::test]
    async fn get_json_answers_the_status_and_the_parsed_content() {
        let (url, seen) = recording(|| {
            response(
                200,
                &[("content-type", "application/json; charset=utf-8")],
                r#"{"ok":true,"items":[1,"two"]}"#,
            )
        })
        .await;
        let input = client().send(&get(&format!("{url}/orders?id=7"))).await;
        assert_eq!(input.len(), 1);
        let answer = answer(&input);
        assert_eq!(answer["statusCode"], 200);
        assert_eq!(answer["content"], json!({"ok": true, "items": [1, "two"]}));
        let (method, headers, body) = seen.lock().unwrap().take().unwrap();
        assert_eq!(method, "GET");
        assert!(body.is_empty());
        assert!(!headers.contains_key(CONTENT_TYPE));
    }

    #[tokio::test]
    async fn post_sends_json_content_with_its_type_authorization_and_headers() {
        let (url, seen) = recording(|| response(201, &[], "")).await;
        let request = OutboundRequest {
            method: "POST".into(),
            content: json!({"name": "Ada", "tags": ["x"]}),
            content_type: Some("application/json".into()),
            authorization: Some("Bearer   token-1".into()),
            headers: json!({"X-Custom": "one", "X-Many": ["a", "b"], "X-Number": 5})
                .as_object()
                .cloned()
                .unwrap(),
            ..get(&url)
        };
        let input = client().send(&request).await;
        assert_eq!(answer(&input)["statusCode"], 201);
        assert_eq!(answer(&input)["content"], Value::Null, "empty body → null");
        let (method, headers, body) = seen.lock().unwrap().take().unwrap();
        assert_eq!(method, "POST");
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap(),
            json!({"name": "Ada", "tags": ["x"]})
        );
        let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("content-type").as_deref(), Some("application/json"));
        assert_eq!(header("authorization").as_deref(), Some("Bearer token-1"));
        assert_eq!(header("x-custom").as_deref(), Some("one"));
        assert_eq!(header("x-many").as_deref(), Some("a, b"));
        assert_eq!(header("x-number").as_deref(), Some("5"));
    }

    #[tokio::test]
    async fn content_is_written_by_content_type_as_elsa_does() {
        let (url, seen) = recording(|| response(200, &[], "")).await;
        let http = client();
        let sent = async |content: Value, content_type: Option<&str>| {
            let request = OutboundRequest {
                method: "PUT".into(),
                content,
                content_type: content_type.map(str::to_owned),
                ..get(&url)
            };
            answer(&http.send(&request).await);
            let (_, headers, body) = seen.lock().unwrap().take().unwrap();
            let content_type = headers
                .get(CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_owned());
            (content_type, String::from_utf8(body).unwrap())
        };
        // No content type: no body at all. A blank one: JSON.
        assert_eq!(sent(json!({"a": 1}), None).await, (None, String::new()));
        assert_eq!(
            sent(json!({"a": 1}), Some(" ")).await,
            (Some("application/json".into()), r#"{"a":1}"#.into())
        );
        // A string is sent as is, whatever the type.
        assert_eq!(
            sent(json!("{\"raw\":true}"), Some("application/json")).await,
            (Some("application/json".into()), "{\"raw\":true}".into())
        );
        assert_eq!(
            sent(json!("hello"), Some("text/plain")).await,
            (Some("text/plain".into()), "hello".into())
        );
        assert_eq!(
            sent(json!(true), Some("text/plain")).await,
            (Some("text/plain".into()), "True".into())
        );
        assert_eq!(
            sent(
                json!({"q": "a b&c", "n": 2, "ok": false}),
                Some("application/x-www-form-urlencoded")
            )
            .await,
            (
                Some("application/x-www-form-urlencoded".into()),
                "q=a+b%26c&n=2&ok=False".into()
            )
        );
        assert_eq!(
            sent(json!("<a/>"), Some("application/xml")).await,
            (Some("application/xml".into()), "<a/>".into())
        );
        // A type no factory claims: JSON, with the type as given.
        assert_eq!(
            sent(json!([1, 2]), Some("application/vnd.api+json")).await,
            (Some("application/vnd.api+json".into()), "[1,2]".into())
        );
        // Null content: no body.
        assert_eq!(
            sent(Value::Null, Some("application/json")).await,
            (None, String::new())
        );
    }

    #[tokio::test]
    async fn a_text_response_is_a_string_and_other_json_types_stay_text() {
        let (url, _) = recording(|| response(200, &[("content-type", "text/plain")], "hé")).await;
        let input = client().send(&get(&url)).await;
        assert_eq!(answer(&input)["content"], "hé");
        let (url, _) = recording(|| {
            response(
                400,
                &[("content-type", "application/problem+json")],
                r#"{"title":"bad"}"#,
            )
        })
        .await;
        let input = client().send(&get(&url)).await;
        assert_eq!(answer(&input)["statusCode"], 400);
        assert_eq!(answer(&input)["content"], r#"{"title":"bad"}"#);
    }

    #[tokio::test]
    async fn not_found_is_a_status_not_a_failure() {
        let router = Router::new(); // every path is 404
        let url = serve(router).await;
        let input = client().send(&get(&format!("{url}/missing"))).await;
        assert_eq!(answer(&input)["statusCode"], 404);
        assert_eq!(answer(&input)["content"], Value::Null);
    }

    #[tokio::test]
    async fn response_headers_are_elsas_http_headers_without_content_headers() {
        let (url, _) = recording(|| {
            response(
                200,
                &[
                    ("content-type", "application/json"),
                    ("last-modified", "Tue, 01 Jan 2030 00:00:00 GMT"),
                    ("x-rate-limit", "10"),
                    ("set-cookie", "a=1"),
                    ("set-cookie", "b=2"),
                    ("etag", "\"v1\""),
                ],
                "{}",
            )
        })
        .await;
        let input = client().send(&get(&url)).await;
        let headers = answer(&input)["headers"].as_object().unwrap().clone();
        assert_eq!(headers["X-Rate-Limit"], json!(["10"]));
        assert_eq!(headers["Set-Cookie"], json!(["a=1", "b=2"]));
        assert_eq!(headers["ETag"], json!(["\"v1\""]));
        assert!(headers.contains_key("Date"));
        for content_header in ["Content-Type", "Content-Length", "Last-Modified"] {
            assert!(!headers.contains_key(content_header), "{content_header}");
        }
        assert!(headers.values().all(|values| values.is_array()));
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let held = tokio::spawn(async move {
            let mut sockets = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                sockets.push(socket);
            }
        });
        let http = OutboundHttp::new(Duration::from_millis(300)).unwrap();
        let started = std::time::Instant::now();
        let input = http.send(&get(&url)).await;
        assert_eq!(failure(&input), "Timeout");
        assert!(started.elapsed() < Duration::from_secs(5));
        held.abort();
    }

    #[tokio::test]
    async fn a_body_that_stops_arriving_times_out_too() {
        // .NET's timeout covers reading the whole body.
        let url = raw(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial",
            true,
        )
        .await;
        let http = OutboundHttp::new(Duration::from_millis(300)).unwrap();
        assert_eq!(failure(&http.send(&get(&url)).await), "Timeout");
    }

    #[tokio::test]
    async fn a_response_cut_short_fails_to_connect() {
        let url = raw(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial",
            false,
        )
        .await;
        let input = OutboundHttp::new(Duration::from_secs(5))
            .unwrap()
            .send(&get(&url))
            .await;
        assert_eq!(failure(&input), "FailedToConnect");
    }

    #[tokio::test]
    async fn a_closed_port_fails_to_connect() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let input = client().send(&get(&url)).await;
        assert_eq!(failure(&input), "FailedToConnect");
    }

    #[tokio::test]
    async fn tls_to_a_plain_server_fails_to_connect() {
        let (url, _) = recording(|| response(200, &[], "")).await;
        let https = url.replacen("http://", "https://", 1);
        let input = client().send(&get(&https)).await;
        assert_eq!(failure(&input), "FailedToConnect");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_fails_to_connect() {
        let big = "x".repeat(2048);
        let (url, _) =
            recording(move || response(200, &[("content-type", "text/plain")], &big)).await;
        let small = OutboundHttp::with_limits(Duration::from_secs(10), 1024).unwrap();
        assert_eq!(failure(&small.send(&get(&url)).await), "FailedToConnect");
        // Chunked, so no length to judge by in advance.
        let chunk = format!("400\r\n{}\r\n", ".".repeat(1024));
        let chunked =
            format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}{chunk}0\r\n\r\n");
        let url = raw(chunked, false).await;
        assert_eq!(failure(&small.send(&get(&url)).await), "FailedToConnect");
    }

    #[tokio::test]
    async fn redirects_are_followed() {
        let router = Router::new()
            .route(
                "/from",
                any(|| async { response(302, &[("location", "/to")], "") }),
            )
            .route(
                "/to",
                any(|| async { response(200, &[("content-type", "text/plain")], "arrived") }),
            );
        let url = serve(router).await;
        let input = client().send(&get(&format!("{url}/from"))).await;
        assert_eq!(answer(&input)["statusCode"], 200);
        assert_eq!(answer(&input)["content"], "arrived");
    }

    #[tokio::test]
    async fn a_json_response_that_does_not_parse_faults() {
        let (url, _) =
            recording(|| response(200, &[("content-type", "application/json")], "<html>")).await;
        let (exception, _) = fault(&client().send(&get(&url)).await);
        assert_eq!(exception, "JsonException");
    }

    #[tokio::test]
    async fn what_elsa_cannot_build_faults_before_anything_is_sent() {
        let (url, seen) = recording(|| response(200, &[], "")).await;
        let http = client();
        let faulted = async |request: OutboundRequest| fault(&http.send(&request).await);
        let invalid_uri = "An invalid request URI was provided. Either the request URI must be an absolute URI or BaseAddress must be set.";
        assert_eq!(
            faulted(get("/relative")).await,
            ("InvalidOperationException".into(), invalid_uri.into())
        );
        assert_eq!(
            faulted(get("ftp://127.0.0.1/file")).await,
            (
                "NotSupportedException".into(),
                "The 'ftp' scheme is not supported.".into()
            )
        );
        assert_eq!(faulted(get("http://[::1")).await.0, "UriFormatException");
        let bad_method = OutboundRequest {
            method: "GE T".into(),
            ..get(&url)
        };
        assert_eq!(
            faulted(bad_method).await,
            (
                "FormatException".into(),
                "The format of the HTTP method is invalid.".into()
            )
        );
        let bad_authorization = OutboundRequest {
            authorization: Some("Bearer: token".into()),
            ..get(&url)
        };
        assert_eq!(
            faulted(bad_authorization).await,
            (
                "FormatException".into(),
                "The format of value 'Bearer: token' is invalid.".into()
            )
        );
        let content_header = OutboundRequest {
            headers: json!({"Content-Type": "text/plain"})
                .as_object()
                .cloned()
                .unwrap(),
            ..get(&url)
        };
        assert_eq!(faulted(content_header).await.0, "InvalidOperationException");
        let binary = OutboundRequest {
            content: json!("bytes?"),
            content_type: Some("application/octet-stream".into()),
            ..get(&url)
        };
        assert_eq!(
            faulted(binary).await,
            (
                "NotSupportedException".into(),
                "Content of type System.String is not supported.".into()
            )
        );
        assert!(seen.lock().unwrap().is_none(), "nothing reached the server");
    }

    #[tokio::test]
    async fn an_unvalidated_authorization_is_sent_as_given() {
        let (url, seen) = recording(|| response(204, &[], "")).await;
        let request = OutboundRequest {
            authorization: Some("Bearer: token".into()),
            disable_authorization_header_validation: true,
            ..get(&url)
        };
        assert_eq!(answer(&client().send(&request).await)["statusCode"], 204);
        let (_, headers, _) = seen.lock().unwrap().take().unwrap();
        assert_eq!(headers["authorization"], "Bearer: token");
        // A value .NET would not put on the wire (not ASCII) is a send failure.
        let request = OutboundRequest {
            headers: json!({"X-Name": "Zoë"}).as_object().cloned().unwrap(),
            ..get(&url)
        };
        assert_eq!(failure(&client().send(&request).await), "FailedToConnect");
    }

    #[test]
    fn the_request_comes_from_the_effect_and_survives_the_database() {
        let effect = Effect::HttpRequest {
            bookmark_id: "b-1".into(),
            method: "POST".into(),
            url: "https://example.test/x".into(),
            content: json!({"n": 1}),
            content_type: Some("application/json".into()),
            authorization: Some("Basic YTpi".into()),
            disable_authorization_header_validation: true,
            headers: json!({"X-A": ["1", "2"]}).as_object().cloned().unwrap(),
        };
        let (bookmark, request) = OutboundRequest::from_effect(&effect).unwrap();
        assert_eq!(bookmark, "b-1");
        let stored = serde_json::to_value(&request).unwrap();
        assert_eq!(
            stored,
            json!({"method": "POST", "url": "https://example.test/x", "content": {"n": 1},
                   "contentType": "application/json", "authorization": "Basic YTpi",
                   "disableAuthorizationHeaderValidation": true, "headers": {"X-A": ["1", "2"]}})
        );
        assert_eq!(
            serde_json::from_value::<OutboundRequest>(stored).unwrap(),
            request
        );
        let minimal: OutboundRequest =
            serde_json::from_value(json!({"method": "GET", "url": "http://h"})).unwrap();
        assert_eq!(minimal, get("http://h"));
        let log = Effect::Log {
            level: elsa_engine::LogLevel::Information,
            category: String::new(),
            message: String::new(),
            arguments: Value::Null,
        };
        assert!(OutboundRequest::from_effect(&log).is_none());
    }

    #[test]
    fn authorization_parses_as_dotnet_parses_it() {
        for (value, parsed) in [
            ("Bearer abc", Some("Bearer abc")),
            ("  Basic\t YTpi  ", Some("Basic YTpi")),
            ("ApiKey", Some("ApiKey")),
            ("Bearer a=b, c=d", Some("Bearer a=b, c=d")),
            ("Bearer:abc", None),
            ("Bearer ,x", None),
            ("", None),
            ("Bearer a\nb", None),
        ] {
            assert_eq!(
                normalize_authorization(value).as_deref(),
                parsed,
                "{value:?}"
            );
        }
    }

    #[test]
    fn header_names_are_spelled_as_dotnet_spells_them() {
        for (wire, dotnet) in [
            ("x-rate-limit", "X-Rate-Limit"),
            ("date", "Date"),
            ("etag", "ETag"),
            ("www-authenticate", "WWW-Authenticate"),
            ("strict-transport-security", "Strict-Transport-Security"),
        ] {
            assert_eq!(dotnet_header_name(wire), dotnet);
        }
    }
}
