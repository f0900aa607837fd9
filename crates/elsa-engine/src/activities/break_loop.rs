//! `Elsa.Break`: stops the nearest enclosing loop. The signal passes sequences and forks
//! (they stop too, once their running child completes) up to the first loop, which completes.
//! In a flowchart, Break is terminal: it completes the flowchart.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Break",
    version: 1,
    category: "Looping",
    display_name: "Break",
    description: "Break out of a loop.",
    kind: ActivityKind::Action,
    inputs: &[],
    outputs: &[],
    ports: &[],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: true,
    build: |_| Ok(Box::new(Break)),
};

#[derive(Debug)]
struct Break;

impl Activity for Break {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        cx.send_break()?;
        // A loop that took the signal cancelled this context along with its body.
        if cx.is_running() {
            cx.complete_with_outcomes(&[]);
        }
        Ok(())
    }
}
