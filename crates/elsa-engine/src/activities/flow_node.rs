//! `Elsa.FlowNode`: a flowchart node that runs its embedded `Body`, then completes.

use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind, PortDescriptor};
use crate::workflow::NodeIdx;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.FlowNode",
    version: 1,
    category: "Flow",
    display_name: "Container",
    description: "A simple container that executes the specified activity.",
    kind: ActivityKind::Action,
    inputs: &[],
    outputs: &[],
    ports: &[PortDescriptor::embedded("Body")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

#[derive(Debug)]
struct FlowNode {
    body: Option<NodeIdx>,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    Ok(Box::new(FlowNode {
        body: builder.child("body")?,
    }))
}

impl Activity for FlowNode {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        match self.body {
            Some(body) => cx.schedule(body),
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
