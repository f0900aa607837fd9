//! The activity library. Each module holds one activity type: its descriptor (registered in
//! [`BUILTIN`]), how it is built from JSON, and how it behaves.
//!
//! Activities complete explicitly: an action calls `complete` when done; a container schedules
//! children and completes from `on_child_completed`. An activity that neither completes nor
//! schedules anything stays running: blocking activities create bookmarks and complete when
//! resumed.

mod break_loop;
mod child_workflow;
mod complete;
mod correlate;
mod cron;
mod delay;
mod dispatch_workflow;
mod end;
mod event;
mod execute_workflow;
mod fault;
mod finish;
mod flow_decision;
mod flow_fork;
mod flow_join;
mod flow_node;
mod flow_send_http_request;
mod flow_switch;
pub(crate) mod flowchart;
mod for_each;
mod for_loop;
mod fork;
pub(crate) mod http_endpoint;
mod http_request;
mod if_else;
mod log;
mod loops;
mod parallel;
mod parallel_for_each;
mod publish_event;
mod run_javascript;
mod run_task;
mod send_http_request;
mod sequence;
mod set_name;
mod set_output;
mod set_variable;
mod start;
mod start_at;
mod switch;
mod switch_cases;
mod timer;
pub(crate) mod timing;
mod unsupported_script;
mod while_loop;
mod workflow;
pub(crate) mod workflow_definition;
mod write_http_response;
mod write_line;

use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::ActivityDescriptor;
use crate::workflow::NodeIdx;
use elsa_model::Bookmark;
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

    /// Called when a stimulus resumes a bookmark this activity created; completes by default.
    fn resume(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        bookmark: &Bookmark,
        input: &Map<String, Value>,
    ) -> Result<(), Fault> {
        let _ = (bookmark, input);
        cx.complete();
        Ok(())
    }

    /// Receives a `Break` sent from a descendant; returns whether it is consumed (loops) or
    /// travels on to the next ancestor.
    fn on_break(&self, cx: &mut ActivityContext<'_, '_>) -> Result<bool, Fault> {
        let _ = cx;
        Ok(false)
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
    &flow_switch::DESCRIPTOR,
    &flow_fork::DESCRIPTOR,
    &flow_join::DESCRIPTOR,
    &flow_node::DESCRIPTOR,
    &switch::DESCRIPTOR,
    &for_each::DESCRIPTOR,
    &for_loop::DESCRIPTOR,
    &while_loop::DESCRIPTOR,
    &parallel_for_each::DESCRIPTOR,
    &break_loop::DESCRIPTOR,
    &fork::DESCRIPTOR,
    &parallel::DESCRIPTOR,
    &complete::DESCRIPTOR,
    &finish::DESCRIPTOR,
    &fault::DESCRIPTOR,
    &correlate::DESCRIPTOR,
    &set_name::DESCRIPTOR,
    &set_output::DESCRIPTOR,
    &log::DESCRIPTOR,
    &run_javascript::DESCRIPTOR,
    &unsupported_script::RUN_CSHARP,
    &unsupported_script::RUN_PYTHON,
    &event::DESCRIPTOR,
    &publish_event::DESCRIPTOR,
    &run_task::DESCRIPTOR,
    &delay::DESCRIPTOR,
    &timer::DESCRIPTOR,
    &start_at::DESCRIPTOR,
    &cron::DESCRIPTOR,
    &http_endpoint::DESCRIPTOR,
    &write_http_response::DESCRIPTOR,
    &send_http_request::DESCRIPTOR,
    &flow_send_http_request::DESCRIPTOR,
    &dispatch_workflow::DESCRIPTOR,
    &execute_workflow::DESCRIPTOR,
];
