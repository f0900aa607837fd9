//! `Elsa.Fork`: runs all its branches at once and completes when the first (`WaitAny`) or the
//! last (`WaitAll`) has completed. `Elsa.Parallel` is a fork that waits for all.

use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::json;
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor};
use crate::workflow::NodeIdx;
use serde_json::Value;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Fork",
    version: 1,
    category: "Control Flow",
    display_name: "Fork",
    description: "Branch execution into multiple branches.",
    kind: ActivityKind::Action,
    inputs: &[InputDescriptor::new(
        "JoinMode",
        "ForkJoinMode",
        "Controls when this activity yields control back to its parent activity.",
    )
    .default(DefaultValue::Str("WaitAll"))
    .raw()
    .ui_hint("dropdown")],
    outputs: &[],
    ports: &[],
    is_container: false,
    is_browsable: false,
    is_start: false,
    is_terminal: false,
    build,
};

/// Context property set when a `Break` passed through: the fork stops at the next completion.
const IS_BREAKING: &str = "IsBreaking";

#[derive(Debug)]
pub(super) struct Fork {
    branches: Vec<NodeIdx>,
    wait_any: bool,
}

impl Fork {
    /// A fork over the activities in array property `name`.
    pub fn build(
        builder: &mut NodeBuilder<'_, '_>,
        name: &str,
        wait_any: bool,
    ) -> Result<Self, LoadError> {
        Ok(Self {
            branches: builder.children(name)?,
            wait_any,
        })
    }
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    // Raw: a plain name, or a wrapped literal as older JSON writes it.
    let mode = match builder.property("joinMode") {
        Some(Value::Object(wrapped)) => json::non_null(wrapped, "expression")
            .and_then(Value::as_object)
            .and_then(|expression| json::string(expression, "value")),
        Some(Value::String(mode)) => Some(mode.as_str()),
        _ => None,
    };
    let wait_any = mode.is_some_and(|mode| mode.eq_ignore_ascii_case("WaitAny"));
    Ok(Box::new(Fork::build(builder, "branches", wait_any)?))
}

impl Activity for Fork {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        if self.branches.is_empty() {
            cx.complete();
        }
        for branch in &self.branches {
            cx.schedule(*branch);
        }
        Ok(())
    }

    fn on_child_completed(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _child: &CompletedChild,
    ) -> Result<(), Fault> {
        let breaking = cx.property::<bool>(IS_BREAKING)?.unwrap_or(false);
        if self.wait_any || breaking || !cx.has_pending_work() {
            cx.complete();
        }
        Ok(())
    }

    fn on_break(&self, cx: &mut ActivityContext<'_, '_>) -> Result<bool, Fault> {
        cx.set_property(IS_BREAKING, &true)?;
        Ok(false)
    }
}
