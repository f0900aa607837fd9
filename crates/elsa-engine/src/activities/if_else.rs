//! `Elsa.If`: runs its embedded `then` or `else` activity depending on a condition.

use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, OutputDescriptor,
    PortDescriptor,
};
use crate::workflow::NodeIdx;
use serde_json::Value;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.If",
    version: 1,
    category: "Branching",
    display_name: "If",
    description: "Evaluate a Boolean condition to determine which activity to execute next.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new("Condition", "Boolean", "The condition to evaluate.")
            .default(DefaultValue::Bool(false)),
    ],
    outputs: &[OutputDescriptor {
        name: "Result",
        type_name: "Boolean",
        description: "The evaluated condition.",
    }],
    ports: &[
        PortDescriptor::embedded("Then"),
        PortDescriptor::embedded("Else"),
    ],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

#[derive(Debug)]
struct If {
    then: Option<NodeIdx>,
    otherwise: Option<NodeIdx>,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    Ok(Box::new(If {
        then: builder.child("then")?,
        otherwise: builder.child("else")?,
    }))
}

impl Activity for If {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let condition = cx.input_bool("Condition");
        cx.set_output("Result", Value::Bool(condition));
        match if condition { self.then } else { self.otherwise } {
            Some(branch) => cx.schedule(branch),
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
