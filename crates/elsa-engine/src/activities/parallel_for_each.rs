//! `Elsa.ParallelForEach`: runs its body for every item at once, each execution with its own
//! `CurrentValue` and `CurrentIndex`; completes when all have completed.

use super::loops::{self, ITEMS_INPUT, IterationVariables};
use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind, PortDescriptor};
use crate::workflow::NodeIdx;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.ParallelForEach",
    version: 1,
    category: "Looping",
    display_name: "Parallel For Each",
    description: "Schedule an activity for each item in parallel.",
    kind: ActivityKind::Action,
    inputs: &[ITEMS_INPUT],
    outputs: &[],
    ports: &[PortDescriptor::embedded("Body")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

#[derive(Debug)]
struct ParallelForEach {
    body: Option<NodeIdx>,
    variables: IterationVariables,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    Ok(Box::new(ParallelForEach {
        body: builder.child("body")?,
        variables: IterationVariables::declare(builder, true),
    }))
}

impl Activity for ParallelForEach {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let items = loops::items(cx.input(ITEMS_INPUT.name));
        match self.body {
            Some(body) if !items.is_empty() => {
                for (index, item) in items.into_iter().enumerate() {
                    self.variables.run_body(cx, body, index, item);
                }
            }
            _ => cx.complete(),
        }
        Ok(())
    }

    fn on_child_completed(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _child: &CompletedChild,
    ) -> Result<(), Fault> {
        if !cx.has_pending_work() {
            cx.complete();
        }
        Ok(())
    }

    fn on_break(&self, cx: &mut ActivityContext<'_, '_>) -> Result<bool, Fault> {
        loops::break_loop(cx)
    }
}
