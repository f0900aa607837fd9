//! `Elsa.Workflow`: the implicit root (`Workflow1`) that declares the definition's variables
//! and runs the definition's root activity.

use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind, PortDescriptor};
use crate::workflow::NodeIdx;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Workflow",
    version: 1,
    category: "Workflows",
    display_name: "Workflow",
    description: "A workflow: declares the workflow variables and runs its root activity.",
    kind: ActivityKind::Action,
    inputs: &[],
    outputs: &[],
    ports: &[PortDescriptor::embedded("Root")],
    is_container: true,
    is_browsable: false,
    is_start: false,
    is_terminal: false,
    build,
};

#[derive(Debug)]
struct Workflow {
    root: Option<NodeIdx>,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    builder.declare_variables("variables")?;
    Ok(Box::new(Workflow {
        root: builder.child("root")?,
    }))
}

impl Activity for Workflow {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
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
