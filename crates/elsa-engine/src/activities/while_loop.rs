//! `Elsa.While`: runs its body as long as `Condition` holds, re-evaluated before each iteration.

use super::loops;
use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, PortDescriptor,
};
use crate::workflow::NodeIdx;
use serde_json::Value;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.While",
    version: 1,
    category: "Looping",
    display_name: "While",
    description: "Execute an activity while a given condition evaluates to true.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new("Condition", "Boolean", "The condition to evaluate.")
            .default(DefaultValue::Bool(false)),
    ],
    outputs: &[],
    ports: &[PortDescriptor::embedded("Body")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

#[derive(Debug)]
struct While {
    body: Option<NodeIdx>,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    Ok(Box::new(While {
        body: builder.child("body")?,
    }))
}

impl While {
    fn iterate(&self, cx: &mut ActivityContext<'_, '_>, condition: Value) {
        match self.body {
            Some(body) if condition == Value::Bool(true) => cx.schedule(body),
            // Without a body the loop could only spin: it ends at once.
            _ => cx.complete(),
        }
    }
}

impl Activity for While {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let condition = cx.input("Condition").clone();
        self.iterate(cx, condition);
        Ok(())
    }

    fn on_child_completed(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _child: &CompletedChild,
    ) -> Result<(), Fault> {
        let condition = cx.reevaluate_input("Condition")?;
        self.iterate(cx, condition);
        Ok(())
    }

    fn on_break(&self, cx: &mut ActivityContext<'_, '_>) -> Result<bool, Fault> {
        loops::break_loop(cx)
    }
}
