//! `Elsa.Flowchart` in token-based mode (`FlowchartMode::TokenBased`).
//!
//! A completed child emits a token on every outbound connection its outcomes follow and
//! consumes the tokens that led to it. Each target then joins by its merge mode
//! (`customProperties.mergeMode`; an `Elsa.FlowJoin` maps `WaitAny` to `Race`, else
//! `Converge`):
//! - `Stream` (default, also `None`): runs unless a branch towards it is still under way —
//!   an unconsumed token into one of its forward sources;
//! - `Merge`: waits for a token on every forward inbound connection;
//! - `Converge`: waits for a token on every inbound connection, loops included;
//! - `Cascade`: runs on every arrival; `Race`: runs on the first arrival, cancels the other
//!   branches still running towards it and blocks their connections.
//!
//! The tokens are persisted in the flowchart context's `properties["Flowchart.Tokens"]`. The
//! flowchart completes on a terminal child or when nothing it owns is left.

use super::Flowchart;
use super::flow_join::{self, JoinMode};
use super::graph::FlowGraph;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use serde::{Deserialize, Serialize};

/// Context property holding the tokens.
const TOKENS: &str = "Flowchart.Tokens";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Token {
    from_activity_id: String,
    to_activity_id: String,
    outcome: String,
    consumed: bool,
    blocked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MergeMode {
    Stream,
    Merge,
    Converge,
    Cascade,
    Race,
}

impl MergeMode {
    fn parse(name: &str) -> Self {
        match name.to_ascii_lowercase().as_str() {
            "merge" => Self::Merge,
            "converge" => Self::Converge,
            "cascade" => Self::Cascade,
            "race" => Self::Race,
            _ => Self::Stream,
        }
    }
}

impl Flowchart {
    /// Handles the completion of child `from` with `outcomes`; see the module docs.
    pub(super) fn on_child_completed_by_tokens(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        graph: &FlowGraph,
        from: usize,
        outcomes: &[String],
    ) -> Result<(), Fault> {
        let mut tokens: Vec<Token> = cx.property(TOKENS)?.unwrap_or_default();
        let completed = &self.ids[from];
        let mut active: Vec<usize> = graph
            .outbound(from)
            .iter()
            .copied()
            .filter(|index| outcomes.contains(&self.connections[*index].source_port))
            .collect();
        active.dedup();
        for &index in &active {
            tokens.push(self.token(index, false));
        }
        for token in tokens.iter_mut() {
            if &token.to_activity_id == completed && !token.consumed && !token.blocked {
                token.consumed = true;
            }
        }
        for &index in &active {
            self.join_by_tokens(cx, graph, &mut tokens, from, index)?;
        }
        if !cx.has_pending_work() {
            cx.complete();
            return Ok(());
        }
        tokens.retain(|token| !(&token.to_activity_id == completed && token.consumed));
        cx.set_property(TOKENS, &tokens)
    }

    fn token(&self, connection: usize, blocked: bool) -> Token {
        let connection = &self.connections[connection];
        Token {
            from_activity_id: self.ids[connection.source].clone(),
            to_activity_id: self.ids[connection.target].clone(),
            outcome: connection.source_port.clone(),
            consumed: false,
            blocked,
        }
    }

    /// Whether `connection` carries a live token.
    fn has_token(&self, tokens: &[Token], connection: usize) -> bool {
        let wanted = self.token(connection, false);
        tokens.iter().any(|token| token == &wanted)
    }

    fn merge_mode(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        target: usize,
    ) -> Result<MergeMode, Fault> {
        let node = self.activities[target];
        if flow_join::is_flow_join(cx.workflow().node(node)) {
            let mode = flow_join::mode(&cx.evaluate_input_of(node, flow_join::MODE)?)?;
            return Ok(match mode {
                JoinMode::WaitAny => MergeMode::Race,
                JoinMode::WaitAll | JoinMode::WaitAllActive => MergeMode::Converge,
            });
        }
        Ok(cx
            .workflow()
            .node(node)
            .merge_mode
            .as_deref()
            .map_or(MergeMode::Stream, MergeMode::parse))
    }

    /// Decides whether the target of followed `connection` runs now.
    fn join_by_tokens(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        graph: &FlowGraph,
        tokens: &mut Vec<Token>,
        from: usize,
        connection: usize,
    ) -> Result<(), Fault> {
        let target = self.connections[connection].target;
        let forward_inbound = graph.forward_inbound(target);
        let run = match self.merge_mode(cx, target)? {
            mode @ (MergeMode::Cascade | MergeMode::Race) => {
                if mode == MergeMode::Race {
                    self.cancel_race_losers(cx, graph, tokens, target);
                }
                let mut blocked = self.token(connection, true);
                let existing = tokens.iter_mut().find(|token| {
                    token.blocked
                        && (
                            &token.from_activity_id,
                            &token.to_activity_id,
                            &token.outcome,
                        ) == (
                            &blocked.from_activity_id,
                            &blocked.to_activity_id,
                            &blocked.outcome,
                        )
                });
                if let Some(existing) = existing {
                    // A loser arriving late: it uses up its block instead of running the target.
                    existing.consumed = true;
                    false
                } else {
                    for &other in forward_inbound {
                        if self.connections[other].source != from {
                            blocked = self.token(other, true);
                            tokens.push(blocked.clone());
                        }
                    }
                    true
                }
            }
            MergeMode::Merge => {
                forward_inbound.len() <= 1
                    || forward_inbound.iter().all(|c| self.has_token(tokens, *c))
            }
            MergeMode::Converge => {
                let inbound: Vec<usize> = (0..self.connections.len())
                    .filter(|c| self.connections[*c].target == target)
                    .collect();
                inbound.len() <= 1 || inbound.iter().all(|c| self.has_token(tokens, *c))
            }
            MergeMode::Stream => !forward_inbound.iter().any(|c| {
                let source = &self.ids[self.connections[*c].source];
                tokens.iter().any(|token| {
                    !token.consumed && !token.blocked && &token.to_activity_id == source
                })
            }),
        };
        if run {
            cx.schedule(self.activities[target]);
        }
        Ok(())
    }

    /// `Race`: the branches still running towards `target` are cancelled; their tokens go.
    fn cancel_race_losers(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        graph: &FlowGraph,
        tokens: &mut Vec<Token>,
        target: usize,
    ) {
        let upstream: Vec<_> = graph
            .ancestors(&self.connections, target)
            .into_iter()
            .map(|activity| self.activities[activity])
            .collect();
        for node in cx.cancel_children_where(|node| upstream.contains(&node)) {
            if let Some(activity) = self.activities.iter().position(|n| *n == node) {
                let id = &self.ids[activity];
                tokens.retain(|t| &t.from_activity_id != id && &t.to_activity_id != id);
            }
        }
    }
}
