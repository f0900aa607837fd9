//! `Liquid` expressions (Elsa renders them with Fluid): parsed once at load time — the loaded
//! workflow is cached, so each template is parsed once per published version — and rendered
//! against Elsa's model (elsa-api.md §5.6), with Elsa's extra filters (`filters.rs`).

mod filters;
mod lenient;

use lenient::Lenient;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// A parsed template with its source (which identifies it).
#[derive(Clone)]
pub(crate) struct LiquidTemplate {
    source: String,
    template: Arc<liquid::Template>,
}

impl fmt::Debug for LiquidTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LiquidTemplate").field(&self.source).finish()
    }
}

impl PartialEq for LiquidTemplate {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// What a template sees: Elsa's model root.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct LiquidModel<'a> {
    pub variables: &'a Map<String, Value>,
    pub input: &'a Map<String, Value>,
    pub correlation_id: Option<&'a str>,
    pub workflow_instance_id: &'a str,
    pub workflow_definition_id: &'a str,
    pub workflow_definition_version_id: &'a str,
    pub workflow_definition_version: i32,
}

/// The parser with Liquid's standard library and Elsa's filters; building one is costly, so it
/// is shared.
fn parser() -> &'static liquid::Parser {
    static PARSER: OnceLock<liquid::Parser> = OnceLock::new();
    PARSER.get_or_init(|| {
        liquid::ParserBuilder::with_stdlib()
            .filter(filters::Base64)
            .filter(filters::Keys)
            .build()
            .expect("the standard library registers without conflicts")
    })
}

/// Parses a template; the error is the parser's message.
pub(crate) fn parse(source: &str) -> Result<LiquidTemplate, String> {
    let template = guarded(|| parser().parse(source))?.map_err(|e| e.to_string())?;
    Ok(LiquidTemplate {
        source: source.to_owned(),
        template: Arc::new(template),
    })
}

/// Renders a template; the error is the renderer's message. As in Fluid, a name or member
/// that is not there renders as nothing (see `lenient.rs`).
pub(crate) fn render(template: &LiquidTemplate, model: &LiquidModel<'_>) -> Result<String, String> {
    let model = serde_json::to_value(model).map_err(|e| e.to_string())?;
    let globals = Lenient::root(model);
    guarded(|| template.template.render(&globals))?.map_err(|e| e.to_string())
}

/// Runs the `liquid` crate, which panics on some input (an integer literal beyond `i64` before
/// a filter, found by fuzzing): a panic there is the template's error, never the engine's.
fn guarded<R>(action: impl FnOnce() -> R) -> Result<R, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(action))
        .map_err(|_| "The Liquid template cannot be processed.".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_elsa_s_model() {
        let variables = json!({"Name": "Ada", "Items": [1, 2]})
            .as_object()
            .cloned()
            .unwrap();
        let input = json!({"OrderId": 7}).as_object().cloned().unwrap();
        let model = LiquidModel {
            variables: &variables,
            input: &input,
            correlation_id: Some("c1"),
            workflow_instance_id: "i1",
            workflow_definition_id: "d1",
            workflow_definition_version_id: "v1",
            workflow_definition_version: 2,
        };
        let template = parse(
            "Hi {{ Variables.Name | upcase }} #{{ Input.OrderId }} {{ Variables.Items | size }} \
             {{ CorrelationId }}/{{ WorkflowInstanceId }}/{{ WorkflowDefinitionId }}/{{ WorkflowDefinitionVersionId }}/{{ WorkflowDefinitionVersion }}",
        )
        .unwrap();
        assert_eq!(
            render(&template, &model).unwrap(),
            "Hi ADA #7 2 c1/i1/d1/v1/2"
        );
        assert!(parse("{% if %}").is_err());
        // Fuzzing found this one: the `liquid` crate panics on the overflowing literal.
        assert!(parse("{{ 5555555555555555555555555550 | upcase }}").is_err());
        let filters =
            parse("{{ Variables.Name | base64 }} {{ Input | keys | join: ',' }}").unwrap();
        assert_eq!(render(&filters, &model).unwrap(), "QWRh OrderId");
    }

    fn render_with(source: &str, variables: Value) -> String {
        let variables = variables.as_object().cloned().unwrap_or_default();
        let model = LiquidModel {
            variables: &variables,
            input: &Map::new(),
            correlation_id: None,
            workflow_instance_id: "i1",
            workflow_definition_id: "d1",
            workflow_definition_version_id: "v1",
            workflow_definition_version: 1,
        };
        render(&parse(source).unwrap(), &model).unwrap()
    }

    #[test]
    fn unknown_names_and_members_render_as_nothing_like_fluid() {
        let variables =
            json!({"Name": "Ada", "Items": [1, 2, 3], "Order": {"Id": 7}, "Null": null});
        assert_eq!(
            render_with(
                "[{{ Undeclared }}|{{ Variables.Undeclared }}|{{ Input.Missing.Deeper }}|{{ Variables.Items[9] }}|{{ CorrelationId }}|{{ Variables.Null }}]",
                variables.clone()
            ),
            "[|||||]"
        );
        // What exists behaves as before.
        assert_eq!(
            render_with(
                "{{ Variables.Items | size }} {{ Variables.Items.size }} {{ Variables.Order.size }} \
                 {{ Variables.Items[-1] }} {{ Variables.Items.first }} {{ Variables.Order.Id }} \
                 {{ Variables | keys | sort | join: ',' }}",
                variables.clone()
            ),
            "3 3 1 3 1 7 Items,Name,Null,Order"
        );
        assert_eq!(
            render_with(
                "{% assign x = 'set' %}{{ x }} {% for i in Variables.Items %}{{ i }}{% endfor %} \
                 {{ Variables.Missing | default: 'fallback' }} \
                 {% if Variables.Missing %}yes{% else %}no{% endif %} \
                 {% if Variables.Missing == nil %}nil{% endif %} \
                 {% if Variables.Order contains 'Id' %}has{% endif %}{% if Variables.Order contains 'X' %}!{% endif %} \
                 {% for i in Variables.Missing %}never{% endfor %}",
                variables
            ),
            "set 123 fallback no nil has "
        );
    }
}
