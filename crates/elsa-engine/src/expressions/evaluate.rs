//! Evaluating a wrapped input's expression in a running activity's context: what each
//! expression type may see (variables in scope, workflow input, activity outputs, ids) and
//! what a script may change (variables, correlation id, instance name).

use super::Expression;
use super::javascript::{self, ScriptError, ScriptGlobals};
use super::liquid::{self, LiquidModel, LiquidTemplate};
use crate::context::ContextIdx;
use crate::error::Fault;
use crate::execution::Execution;
use crate::values::ValueType;
use serde_json::{Map, Value};

impl Execution<'_> {
    /// The value of `expression` for the activity of context `idx`, converted to `value_type`.
    pub(crate) fn evaluate(
        &mut self,
        idx: ContextIdx,
        expression: &Expression,
        value_type: &ValueType,
    ) -> Result<Value, Fault> {
        let value = match expression {
            Expression::Literal(value) => return Ok(value.clone()),
            Expression::Variable(reference) => {
                let slot = self
                    .contexts
                    .resolve_variable(
                        self.workflow,
                        idx,
                        reference.id.as_deref(),
                        reference.name.as_deref(),
                    )
                    .ok_or_else(|| {
                        Fault::invalid_operation(format!(
                            "Variable '{}' is not in scope.",
                            reference.label()
                        ))
                    })?;
                self.contexts.variable(slot).1.clone()
            }
            Expression::Input(name) => self
                .workflow_input_for(idx)
                .get(name)
                .cloned()
                .unwrap_or(Value::Null),
            Expression::JavaScript(source) => self.evaluate_script(idx, source)?,
            Expression::Liquid(template) => Value::String(self.render_liquid(idx, template)?),
            // A load error would reject the whole definition; Elsa fails only when the
            // expression is evaluated, so a workflow that never reaches it still runs.
            Expression::Unsupported(expression_type) => {
                return Err(Fault::new(
                    "NotSupportedException",
                    format!("The expression type '{expression_type}' is not supported."),
                ));
            }
        };
        value_type.convert(value).map_err(|reason| {
            Fault::invalid_operation(format!("The expression result cannot be used: {reason}."))
        })
    }

    fn evaluate_script(&mut self, idx: ContextIdx, source: &str) -> Result<Value, Fault> {
        self.run_script(idx, source).map(|(value, _)| value)
    }

    /// Runs a script; returns its value and every variable it changed or added, including names
    /// that are not declared (`RunJavaScript` passes its outcomes back that way).
    pub(crate) fn run_script(
        &mut self,
        idx: ContextIdx,
        source: &str,
    ) -> Result<(Value, Map<String, Value>), Fault> {
        let variables = self.contexts.visible_variables(self.workflow, idx);
        // Serialising every output costs time in long runs: only scripts that can name an
        // output (`getOutputFrom`, `get<Output>From<Activity>`, `getLastResult`) get them.
        let (outputs, last_result) = if source.contains("From") || source.contains("LastResult") {
            self.activity_outputs(idx)
        } else {
            (Map::new(), Value::Null)
        };
        let globals = ScriptGlobals {
            variables: &variables,
            input: self.workflow_input_for(idx),
            instance_id: &self.request.instance_id,
            correlation_id: self.request.correlation_id.as_deref(),
            instance_name: self.request.name.as_deref(),
            definition_id: &self.workflow.definition_id,
            definition_version_id: &self.workflow.definition_version_id,
            definition_version: self.workflow.definition_version,
            outputs,
            last_result,
            ids: self.ids,
            now: self.now(),
        };
        let result =
            javascript::evaluate(source, &globals, &self.limits.script).map_err(script_fault)?;
        self.request.correlation_id = result.correlation_id;
        self.request.name = result.instance_name;
        for (name, value) in &result.variables {
            // Names the script invented (not declared in scope) are not variables: ignore them.
            if let Some(slot) = self
                .contexts
                .resolve_variable(self.workflow, idx, None, Some(name))
            {
                self.assign(slot, value.clone())?;
            }
        }
        Ok((result.value, result.variables))
    }

    /// Outputs of the activities that ran before context `idx`, keyed by activity id and by
    /// name (the latest execution wins), and the `Result` output of the last of them.
    fn activity_outputs(&self, idx: ContextIdx) -> (Map<String, Value>, Value) {
        let mut outputs = Map::new();
        let mut last_result = Value::Null;
        for (other, context) in self.contexts.iter() {
            if other == idx || context.outputs.is_empty() {
                continue;
            }
            let node = self.workflow.node(context.node);
            let values = Value::Object(context.outputs.clone());
            outputs.insert(node.id.to_string(), values.clone());
            if let Some(name) = node.name.as_ref().filter(|name| **name != node.id) {
                outputs.insert(name.to_string(), values);
            }
            if let Some(result) = context.outputs.get("Result") {
                last_result = result.clone();
            }
        }
        (outputs, last_result)
    }

    fn render_liquid(&self, idx: ContextIdx, template: &LiquidTemplate) -> Result<String, Fault> {
        let variables = self.contexts.visible_variables(self.workflow, idx);
        let model = LiquidModel {
            variables: &variables,
            input: self.workflow_input_for(idx),
            correlation_id: self.request.correlation_id.as_deref(),
            workflow_instance_id: &self.request.instance_id,
            workflow_definition_id: &self.workflow.definition_id,
            workflow_definition_version_id: &self.workflow.definition_version_id,
            workflow_definition_version: self.workflow.definition_version,
        };
        liquid::render(template, &model, &self.limits.liquid)
            .map_err(|message| Fault::new("LiquidException", message))
    }
}

fn script_fault(error: ScriptError) -> Fault {
    let exception_type = match error {
        ScriptError::Timeout(_) => "TimeoutException",
        ScriptError::OutOfMemory(_) => "MemoryLimitExceededException",
        ScriptError::Syntax(_) | ScriptError::Thrown(_) => "JavaScriptException",
    };
    Fault::new(exception_type, error.message())
}
