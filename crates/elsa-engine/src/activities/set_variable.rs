//! `Elsa.SetVariable`: assigns a value to a variable in scope.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor, PortDescriptor};
use crate::variables::VariableRef;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.SetVariable",
    version: 1,
    category: "Primitives",
    display_name: "Set Variable",
    description: "Assign a value to a workflow variable.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new(
            "Variable",
            "Variable",
            "The variable to assign the value to.",
        )
        .raw()
        .ui_hint("variable-picker"),
        InputDescriptor::new("Value", "Object", "The value to assign."),
    ],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

#[derive(Debug)]
struct SetVariable {
    variable: VariableRef,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    // A raw input: the variable object itself (`{id, name, typeName, ...}`), not an expression.
    let variable = builder
        .property("variable")
        .ok_or_else(|| builder.malformed("'variable' is required"))?;
    let variable = VariableRef::parse(variable).map_err(|reason| builder.malformed(reason))?;
    Ok(Box::new(SetVariable { variable }))
}

impl Activity for SetVariable {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let value = cx.input("Value").clone();
        cx.set_variable(&self.variable, value)?;
        cx.complete();
        Ok(())
    }
}
