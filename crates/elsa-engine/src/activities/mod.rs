//! The activity library. Each module holds one activity type: its descriptor (registered in
//! [`BUILTIN`]), how it is built from JSON, and how it behaves.
//!
//! Activities complete explicitly: an action calls `complete` when done; a container schedules
//! children and completes from `on_child_completed`. An activity that neither completes nor
//! schedules anything stays running (the later blocking activities create bookmarks that way).

mod end;
mod flow_decision;
mod flowchart;
mod if_else;
mod sequence;
mod set_variable;
mod start;
mod workflow;
mod write_line;

use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::ActivityDescriptor;
use crate::workflow::NodeIdx;
use serde_json::{Map, Value};
use std::fmt;

/// Builds an activity from its JSON (inputs are bound by the loader beforehand).
pub(crate) type BuildFn = fn(&mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError>;

/// The behaviour of one activity type.
pub(crate) trait Activity: Send + Sync + fmt::Debug {
    /// Runs the activity; its wrapped inputs are already evaluated.
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault>;

    /// Called when a child this activity scheduled has completed.
    fn on_child_completed(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        child: &CompletedChild,
    ) -> Result<(), Fault> {
        let _ = (cx, child);
        Ok(())
    }
}

/// A child that completed, as its owner's callback sees it.
#[derive(Debug, Clone)]
pub(crate) struct CompletedChild {
    pub node: NodeIdx,
    pub outcomes: Vec<String>,
    /// The input its owner scheduled it with.
    pub input: Map<String, Value>,
}

/// Every built-in activity type.
pub(crate) static BUILTIN: &[&ActivityDescriptor] = &[
    &workflow::DESCRIPTOR,
    &sequence::DESCRIPTOR,
    &flowchart::DESCRIPTOR,
    &start::DESCRIPTOR,
    &end::DESCRIPTOR,
    &write_line::DESCRIPTOR,
    &set_variable::DESCRIPTOR,
    &if_else::DESCRIPTOR,
    &flow_decision::DESCRIPTOR,
];
