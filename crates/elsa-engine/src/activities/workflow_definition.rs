//! A workflow used as an activity (`options.usableAsActivity`), by its type name. It runs the
//! child's root inline as a composite: its inputs are the child's workflow inputs (scripts in
//! the child read them with `getInput`/`get<Name>()`), the child's `SetOutput` sets this
//! activity's outputs and `Complete` completes this activity with its outcomes.

use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::expressions::Expression;
use crate::json;
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind};
use crate::values::ValueType;
use crate::workflow::{ActivityNode, NodeIdx};

/// The descriptor every workflow-as-activity node shares; journals and records show the
/// workflow's own type name instead.
pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.WorkflowDefinitionActivity",
    version: 1,
    category: "Workflows",
    display_name: "Workflow",
    description: "A workflow definition used as an activity.",
    kind: ActivityKind::Action,
    inputs: &[],
    outputs: &[],
    ports: &[],
    is_container: true,
    is_browsable: false,
    is_start: false,
    is_terminal: false,
    build,
};

/// Whether `node` is a workflow used as an activity: the scope of workflow inputs, outputs
/// and `Complete` for what runs inside it.
pub(crate) fn is_composite(node: &ActivityNode) -> bool {
    std::ptr::eq(node.descriptor, &DESCRIPTOR)
}

#[derive(Debug)]
struct Input {
    name: String,
    value_type: ValueType,
    expression: Option<Expression>,
}

#[derive(Debug)]
struct WorkflowDefinitionActivity {
    root: Option<NodeIdx>,
    inputs: Vec<Input>,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    let definition = builder
        .take_resolved_definition()
        .ok_or_else(|| builder.malformed("the workflow used as this activity is missing"))?;
    let mut inputs = Vec::with_capacity(definition.inputs.len());
    for declared in definition
        .inputs
        .iter()
        .filter_map(|input| input.as_object())
    {
        let Some(name) = json::string(declared, "name") else {
            continue;
        };
        let type_name = json::string(declared, "type")
            .or_else(|| json::string(declared, "typeName"))
            .unwrap_or("Object");
        let value_type = ValueType::from_alias(type_name);
        let expression = match builder.property(name) {
            Some(json) => builder.expression(json, (&value_type, type_name), name)?,
            None => None,
        };
        inputs.push(Input {
            name: name.to_owned(),
            value_type,
            expression,
        });
    }
    builder.declare_variables_of(&definition.variables)?;
    Ok(Box::new(WorkflowDefinitionActivity {
        root: builder.composite_root(&definition)?,
        inputs,
    }))
}

impl Activity for WorkflowDefinitionActivity {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        // Every declared input is visible inside, set or not, as for a workflow.
        for input in &self.inputs {
            let value = match &input.expression {
                Some(expression) => cx.evaluate(expression, &input.value_type)?,
                None => serde_json::Value::Null,
            };
            cx.set_input_state(&input.name, value);
        }
        match self.root {
            Some(root) => cx.schedule(root),
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
