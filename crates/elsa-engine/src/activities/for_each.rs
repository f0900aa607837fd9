//! `Elsa.ForEach`: runs its body once per item, one after another.

use super::loops::{
    self, CURRENT_INDEX, CURRENT_VALUE, CURRENT_VALUE_OUTPUT, ITEMS_INPUT, IterationVariables,
};
use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind, PortDescriptor};
use crate::workflow::NodeIdx;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.ForEach",
    version: 1,
    category: "Looping",
    display_name: "For Each",
    description: "Iterate over a set of values.",
    kind: ActivityKind::Action,
    inputs: &[ITEMS_INPUT],
    outputs: &[CURRENT_VALUE_OUTPUT],
    ports: &[PortDescriptor::embedded("Body")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

#[derive(Debug)]
struct ForEach {
    body: Option<NodeIdx>,
    variables: IterationVariables,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    Ok(Box::new(ForEach {
        body: builder.child("body")?,
        variables: IterationVariables::declare(builder, true),
    }))
}

impl ForEach {
    fn iterate(&self, cx: &mut ActivityContext<'_, '_>, index: usize) -> Result<(), Fault> {
        let item = loops::items(cx.input(ITEMS_INPUT.name))
            .into_iter()
            .nth(index);
        // The index of the running iteration is a context property too: it survives suspension.
        match (self.body, item) {
            (Some(body), Some(item)) => {
                cx.set_property(CURRENT_INDEX, &index)?;
                cx.set_output(CURRENT_VALUE, item.clone());
                self.variables.run_body(cx, body, index, item);
            }
            // Without a body there is nothing to iterate.
            _ => cx.complete(),
        }
        Ok(())
    }
}

impl Activity for ForEach {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        self.iterate(cx, 0)
    }

    fn on_child_completed(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _child: &CompletedChild,
    ) -> Result<(), Fault> {
        let current: usize = cx.property(CURRENT_INDEX)?.unwrap_or_default();
        self.iterate(cx, current + 1)
    }

    fn on_break(&self, cx: &mut ActivityContext<'_, '_>) -> Result<bool, Fault> {
        loops::break_loop(cx)
    }
}
