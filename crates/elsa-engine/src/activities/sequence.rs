//! `Elsa.Sequence`: runs its activities one after another.

use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind};
use crate::workflow::NodeIdx;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Sequence",
    version: 1,
    category: "Workflows",
    display_name: "Sequence",
    description: "Execute a set of activities in sequence.",
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

/// Context property holding the index of the running child (survives suspension).
const CURRENT_INDEX: &str = "CurrentIndex";
/// Context property set when a `Break` passed through: the sequence stops after this child.
const IS_BREAKING: &str = "IsBreaking";

#[derive(Debug)]
struct Sequence {
    activities: Vec<NodeIdx>,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    builder.declare_variables("variables")?;
    Ok(Box::new(Sequence {
        activities: builder.children("activities")?,
    }))
}

impl Sequence {
    fn run_child(&self, cx: &mut ActivityContext<'_, '_>, index: usize) -> Result<(), Fault> {
        match self.activities.get(index) {
            Some(child) => {
                cx.set_property(CURRENT_INDEX, &index)?;
                cx.schedule(*child);
            }
            None => cx.complete(),
        }
        Ok(())
    }
}

impl Activity for Sequence {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        self.run_child(cx, 0)
    }

    fn on_child_completed(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        child: &CompletedChild,
    ) -> Result<(), Fault> {
        let breaking = cx.property::<bool>(IS_BREAKING)?.unwrap_or(false);
        if breaking || cx.workflow().node(child.node).descriptor.is_terminal {
            cx.complete();
            return Ok(());
        }
        let current: usize = cx.property(CURRENT_INDEX)?.unwrap_or_default();
        self.run_child(cx, current + 1)
    }

    fn on_break(&self, cx: &mut ActivityContext<'_, '_>) -> Result<bool, Fault> {
        cx.set_property(IS_BREAKING, &true)?;
        Ok(false)
    }
}
