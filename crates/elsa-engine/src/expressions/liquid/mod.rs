//! `Liquid` expressions (Elsa renders them with Fluid): parsed once at load time — the loaded
//! workflow is cached, so each template is parsed once per published version — and rendered
//! against Elsa's model (elsa-api.md §5.6), with Elsa's extra filters (`filters.rs`), within
//! limits of time, loop iterations, output and value sizes (`limits.rs`).
//!
//! Templates are parsed and rendered with `liquid-core` directly, not through the `liquid`
//! facade: a render's budget goes in the runtime's registers before the render starts, which
//! the facade's `Template::render` gives no way to do.

mod assign;
mod bounded;
mod filters;
mod language;
mod lenient;
mod limits;
mod loops;

use lenient::Lenient;
use limits::{Breach, Budget, CappedBuffer};
use liquid_core::runtime::RuntimeBuilder;
use liquid_core::{Language, Renderable, Runtime, Template};
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::{Arc, OnceLock};

pub(crate) use limits::LiquidLimits;

/// A parsed template with its source (which identifies it).
#[derive(Clone)]
pub(crate) struct LiquidTemplate {
    source: String,
    template: Arc<Template>,
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

/// The tags, blocks and filters (`language.rs`); building them is costly, so they are shared.
fn language() -> &'static Language {
    static LANGUAGE: OnceLock<Language> = OnceLock::new();
    LANGUAGE.get_or_init(language::language)
}

/// Parses a template; the error is the parser's message.
pub(crate) fn parse(source: &str) -> Result<LiquidTemplate, String> {
    let elements =
        guarded(|| liquid_core::parser::parse(source, language()))?.map_err(|e| e.to_string())?;
    Ok(LiquidTemplate {
        source: source.to_owned(),
        template: Arc::new(Template::new(elements)),
    })
}

/// Renders a template; the error is the renderer's message, or the limit the render broke. As
/// in Fluid, a name or member that is not there renders as nothing (see `lenient.rs`).
pub(crate) fn render(
    template: &LiquidTemplate,
    model: &LiquidModel<'_>,
    limits: &LiquidLimits,
) -> Result<String, String> {
    let model = serde_json::to_value(model).map_err(|e| e.to_string())?;
    let globals = Lenient::root(model);
    let runtime = RuntimeBuilder::new().set_globals(&globals).build();
    *runtime.registers().get_mut::<Budget>() = Budget::start(limits);
    let mut output = CappedBuffer::new(limits.output_limit);
    let rendered = guarded(|| template.template.render_to(&mut output, &runtime))?;
    // The crate wraps the error of a broken limit in its traces: report the limit itself.
    let breach = runtime.registers().get_mut::<Budget>().breach();
    let output_breach = output
        .exceeded()
        .then_some(Breach::Output(limits.output_limit));
    if let Some(breach) = breach.or(output_breach) {
        return Err(breach.message());
    }
    rendered
        .map(|()| output.into_string())
        .map_err(|e| e.to_string())
}

/// Runs the `liquid` crate, which panics on some input (an integer literal beyond `i64` before
/// a filter, found by fuzzing): a panic there is the template's error, never the engine's.
fn guarded<R>(action: impl FnOnce() -> R) -> Result<R, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(action))
        .map_err(|_| "The Liquid template cannot be processed.".to_owned())
}

/// Parses and renders `source` with `variables` (the tests of this module and its children).
#[cfg(test)]
fn render_source(source: &str, variables: Value, limits: &LiquidLimits) -> Result<String, String> {
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
    render(&parse(source)?, &model, limits)
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
            render(&template, &model, &LiquidLimits::default()).unwrap(),
            "Hi ADA #7 2 c1/i1/d1/v1/2"
        );
        assert!(parse("{% if %}").is_err());
        // Fuzzing found this one: the `liquid` crate panics on the overflowing literal.
        assert!(parse("{{ 5555555555555555555555555550 | upcase }}").is_err());
        let filters =
            parse("{{ Variables.Name | base64 }} {{ Input | keys | join: ',' }}").unwrap();
        assert_eq!(
            render(&filters, &model, &LiquidLimits::default()).unwrap(),
            "QWRh OrderId"
        );
    }

    fn render_with(source: &str, variables: Value) -> String {
        render_source(source, variables, &LiquidLimits::default()).unwrap()
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
