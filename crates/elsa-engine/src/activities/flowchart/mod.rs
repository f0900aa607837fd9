//! `Elsa.Flowchart` in Elsa's default counter-based mode (elsa-api.md §5.3); the token-based
//! mode is in `tokens`.
//!
//! When a child completes, each outbound connection is visited and marked followed when its
//! port is one of the child's outcomes. A target with forward inbound connections runs as an
//! implicit join (`WaitAllActive`): once every inbound connection was visited since the target
//! last ran, it runs if one of the latest visits was followed, and is otherwise *skipped* — its
//! own outbound connections are visited as not followed (dead-path elimination), so joins
//! further down still resolve. A followed backward connection (a loop) re-runs its target.
//! An `Elsa.FlowJoin` target waits by its own mode instead: `WaitAll` runs only when every
//! inbound connection was followed; `WaitAny` runs on the first followed one and cancels the
//! branches still running towards it.
//! The flowchart completes on a terminal child (`End`) or when nothing it owns is left.

mod connections;
mod graph;
pub(crate) mod scope;
mod tokens;

use super::flow_join::{self, JoinMode};
use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::context::FLOW_SCOPE;
use crate::engine::FlowchartMode;
use crate::error::{Fault, LoadError};
use crate::json;
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind};
use crate::workflow::NodeIdx;
use connections::Connection;
use graph::FlowGraph;
use scope::Recorded;
use serde_json::{Map, Value};
use std::borrow::Cow;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Flowchart",
    version: 1,
    category: "Flow",
    display_name: "Flowchart",
    description: "A flowchart is a collection of activities and connections between them.",
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

/// Scheduling input marking a re-run through a backward connection (not counted as a visit).
const BACKWARD_CONNECTION: &str = "BackwardConnection";

#[derive(Debug)]
struct Flowchart {
    activities: Vec<NodeIdx>,
    /// Activity ids, parallel to `activities`.
    ids: Vec<String>,
    connections: Vec<Connection>,
    /// Where a run without a trigger in this flowchart starts.
    start: Option<usize>,
    /// The graph as seen from `start`.
    graph: FlowGraph,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    builder.declare_variables("variables")?;
    let activities = builder.children("activities")?;
    let ids: Vec<String> = activities
        .iter()
        .map(|node| builder.node(*node).id.to_string())
        .collect();
    let connections = connections::parse(builder.property("connections"), &ids)
        .map_err(|reason| builder.malformed(reason))?;
    // Old JSON names the start activity explicitly (by id, or as the activity object).
    let explicit_start = match builder.property("start") {
        Some(Value::String(id)) => Some(id.as_str()),
        Some(Value::Object(activity)) => json::string(activity, "id"),
        _ => None,
    }
    .and_then(|id| ids.iter().position(|candidate| candidate == id));
    let first = |accept: &dyn Fn(usize) -> bool| (0..activities.len()).find(|i| accept(*i));
    let start = explicit_start
        .or_else(|| first(&|i| builder.node(activities[i]).descriptor.is_start))
        .or_else(|| first(&|i| builder.node(activities[i]).can_start_workflow))
        .or_else(|| first(&|i| connections.iter().all(|c| c.target != i)))
        .or_else(|| first(&|_| true));
    let graph = FlowGraph::new(&connections, activities.len(), start);
    Ok(Box::new(Flowchart {
        activities,
        ids,
        connections,
        start,
        graph,
    }))
}

impl Flowchart {
    /// The activity that triggered the run, if it is one of ours; else the static start.
    fn start_for(&self, cx: &ActivityContext<'_, '_>) -> Option<usize> {
        cx.trigger_activity_id()
            .and_then(|trigger| self.ids.iter().position(|id| id == trigger))
            .or(self.start)
    }

    fn graph_for(&self, root: Option<usize>) -> Cow<'_, FlowGraph> {
        if root == self.start {
            Cow::Borrowed(&self.graph)
        } else {
            Cow::Owned(FlowGraph::new(
                &self.connections,
                self.activities.len(),
                root,
            ))
        }
    }

    /// Visits the outbound connections of `from`; returns whether anything was scheduled.
    fn visit_outbound<'s>(
        &'s self,
        cx: &mut ActivityContext<'_, '_>,
        graph: &FlowGraph,
        scope: &mut Recorded<'_, 's>,
        from: usize,
        outcomes: &[String],
        rerun_by_backward_connection: bool,
    ) -> Result<bool, Fault> {
        if !rerun_by_backward_connection {
            scope.register_activity_visit(&self.ids[from]);
        }
        let mut scheduled = false;
        for &index in graph.outbound(from) {
            let connection = &self.connections[index];
            let followed = outcomes.contains(&connection.source_port);
            scope.register_connection_visit(&connection.key, followed);
            scheduled |= if graph.is_forward(index) {
                self.join(cx, graph, scope, index)?
            } else {
                self.loop_back(cx, graph, index, followed)?
            };
        }
        Ok(scheduled)
    }

    /// Decides whether the target of a visited forward connection runs, waits or is skipped:
    /// an `Elsa.FlowJoin` by its mode, any other activity as an implicit `WaitAllActive` join.
    fn join<'s>(
        &'s self,
        cx: &mut ActivityContext<'_, '_>,
        graph: &FlowGraph,
        scope: &mut Recorded<'_, 's>,
        connection: usize,
    ) -> Result<bool, Fault> {
        let target = self.connections[connection].target;
        let node = self.activities[target];
        let mode = if flow_join::is_flow_join(cx.workflow().node(node)) {
            flow_join::mode(&cx.evaluate_input_of(node, flow_join::MODE)?)?
        } else {
            JoinMode::WaitAllActive
        };
        let inbound: Vec<&str> = graph
            .forward_inbound(target)
            .iter()
            .map(|index| self.connections[*index].key.as_str())
            .collect();
        let id = &self.ids[target];
        let run = match mode {
            JoinMode::WaitAllActive | JoinMode::WaitAll => {
                if !scope.all_inbound_visited(id, &inbound) {
                    return Ok(false);
                }
                match mode {
                    JoinMode::WaitAll => scope.all_inbound_followed(&inbound),
                    _ => scope.any_inbound_followed(id, &inbound),
                }
            }
            JoinMode::WaitAny => {
                let key = &self.connections[connection].key;
                if scope.is_stale(key, id) || cx.is_queued(node) {
                    return Ok(false);
                }
                if scope.any_inbound_followed(id, &inbound) {
                    cx.schedule(node);
                    self.cancel_inbound_branches(cx, graph, scope, target)?;
                    return Ok(true);
                }
                if !scope.all_inbound_visited(id, &inbound) {
                    return Ok(false);
                }
                false
            }
        };
        if run {
            cx.schedule(node);
            Ok(true)
        } else {
            // Skip: as if it completed with no outcomes, so joins further down still resolve.
            self.visit_outbound(cx, graph, scope, target, &[], false)
        }
    }

    /// `WaitAny` fired: the branches still running towards the join lose the race. Their
    /// outbound connections are visited as not followed, as for any cancelled child.
    fn cancel_inbound_branches<'s>(
        &'s self,
        cx: &mut ActivityContext<'_, '_>,
        graph: &FlowGraph,
        scope: &mut Recorded<'_, 's>,
        join: usize,
    ) -> Result<(), Fault> {
        let upstream: Vec<NodeIdx> = graph
            .ancestors(&self.connections, join)
            .into_iter()
            .map(|activity| self.activities[activity])
            .collect();
        for node in cx.cancel_children_where(|node| upstream.contains(&node)) {
            if let Some(activity) = self.activities.iter().position(|n| *n == node) {
                self.visit_outbound(cx, graph, scope, activity, &[], false)?;
            }
        }
        Ok(())
    }

    fn loop_back(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        graph: &FlowGraph,
        index: usize,
        followed: bool,
    ) -> Result<bool, Fault> {
        if !followed {
            return Ok(false);
        }
        let connection = &self.connections[index];
        if !graph.is_valid_backward(index) {
            return Err(Fault::invalid_operation(format!(
                "Invalid backward connection: every path from the start to '{}' must pass through '{}'.",
                self.ids[connection.source], self.ids[connection.target]
            )));
        }
        let input = Map::from_iter([(BACKWARD_CONNECTION.to_owned(), Value::Bool(true))]);
        cx.schedule_with_input(self.activities[connection.target], input);
        Ok(true)
    }
}

impl Activity for Flowchart {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        match self.start_for(cx) {
            Some(start) => cx.schedule(self.activities[start]),
            None => cx.complete(),
        }
        Ok(())
    }

    fn on_child_completed(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        child: &CompletedChild,
    ) -> Result<(), Fault> {
        if cx.workflow().node(child.node).descriptor.is_terminal {
            cx.complete();
            return Ok(());
        }
        let from = self
            .activities
            .iter()
            .position(|node| *node == child.node)
            .ok_or_else(|| {
                Fault::invalid_operation("A completed child is not part of this flowchart.")
            })?;
        let graph = self.graph_for(self.start_for(cx));
        if cx.flowchart_mode() == FlowchartMode::TokenBased {
            return self.on_child_completed_by_tokens(cx, &graph, from, &child.outcomes);
        }
        // Typed in the context during the run; from the persisted JSON after a resume.
        let (mut scope, typed) = match cx.take_flow_scope() {
            Some(scope) => (scope, true),
            None => (cx.property(FLOW_SCOPE)?.unwrap_or_default(), false),
        };
        let rerun = child
            .input
            .get(BACKWARD_CONNECTION)
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut step = Recorded::new(&mut scope);
        let scheduled =
            match self.visit_outbound(cx, &graph, &mut step, from, &child.outcomes, rerun) {
                Ok(scheduled) => scheduled,
                Err(fault) => {
                    // The scope stays as it was before this step.
                    if typed {
                        step.rollback();
                        cx.put_flow_scope(scope);
                    }
                    return Err(fault);
                }
            };
        cx.put_flow_scope(scope);
        if !scheduled && !cx.has_pending_work() && !cx.has_faulted_children() {
            cx.complete();
        }
        Ok(())
    }
}
