//! The shape of a flowchart as seen from its start activity: which connections lead forward
//! and which lead back (loops), as Elsa's `FlowGraph` computes them.

use super::connections::Connection;
use std::collections::HashSet;

#[derive(Debug, Clone)]
pub(super) struct FlowGraph {
    /// Per activity: its outbound connections.
    outbound: Vec<Vec<usize>>,
    /// Per activity: its inbound forward connections.
    forward_inbound: Vec<Vec<usize>>,
    /// Per connection: whether it leads forward (is part of the acyclic traversal from the start).
    forward: Vec<bool>,
    /// Per connection: for backward ones, whether every path from the start to its source passes
    /// its target (the only loops Elsa accepts).
    valid_backward: Vec<bool>,
}

impl FlowGraph {
    pub fn new(connections: &[Connection], activity_count: usize, root: Option<usize>) -> Self {
        let forward_edges = root
            .map(|root| forward_edges(connections, activity_count, root))
            .unwrap_or_default();
        let forward: Vec<bool> = connections
            .iter()
            .map(|c| forward_edges.contains(&(c.source, c.target)))
            .collect();
        let mut outbound = vec![Vec::new(); activity_count];
        let mut forward_inbound = vec![Vec::new(); activity_count];
        for (i, connection) in connections.iter().enumerate() {
            outbound[connection.source].push(i);
            if forward[i] {
                forward_inbound[connection.target].push(i);
            }
        }
        let valid_backward = connections
            .iter()
            .zip(&forward)
            .map(|(c, is_forward)| {
                !is_forward
                    && root.is_some_and(|root| {
                        !reachable_avoiding(connections, &forward, root, c.source, c.target)
                    })
            })
            .collect();
        Self {
            outbound,
            forward_inbound,
            forward,
            valid_backward,
        }
    }

    pub fn outbound(&self, activity: usize) -> &[usize] {
        &self.outbound[activity]
    }

    pub fn forward_inbound(&self, activity: usize) -> &[usize] {
        &self.forward_inbound[activity]
    }

    /// Activities with a forward path to `activity` (its upstream branches).
    pub fn ancestors(&self, connections: &[Connection], activity: usize) -> HashSet<usize> {
        let mut seen = HashSet::new();
        let mut stack = vec![activity];
        while let Some(current) = stack.pop() {
            for &index in &self.forward_inbound[current] {
                let source = connections[index].source;
                if seen.insert(source) {
                    stack.push(source);
                }
            }
        }
        seen
    }

    pub fn is_forward(&self, connection: usize) -> bool {
        self.forward[connection]
    }

    pub fn is_valid_backward(&self, connection: usize) -> bool {
        self.valid_backward[connection]
    }
}

/// Breadth-first from the root, keeping each edge unless the edges kept so far already lead
/// from its target back to its source (it would close a cycle).
fn forward_edges(
    connections: &[Connection],
    activity_count: usize,
    root: usize,
) -> HashSet<(usize, usize)> {
    let mut targets = vec![Vec::new(); activity_count];
    for connection in connections {
        targets[connection.source].push(connection.target);
    }
    let mut visited = HashSet::new();
    let mut kept: Vec<(usize, usize)> = Vec::new();
    let mut queue = std::collections::VecDeque::from([root]);
    while let Some(source) = queue.pop_front() {
        visited.insert(source);
        for &target in &targets[source] {
            if kept.contains(&(source, target)) || has_path(&kept, target, source) {
                continue;
            }
            kept.push((source, target));
            if !visited.contains(&target) {
                queue.push_back(target);
            }
        }
    }
    kept.into_iter().collect()
}

fn has_path(edges: &[(usize, usize)], from: usize, to: usize) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![from];
    while let Some(current) = stack.pop() {
        if current == to {
            return true;
        }
        if seen.insert(current) {
            stack.extend(edges.iter().filter(|(s, _)| *s == current).map(|(_, t)| *t));
        }
    }
    false
}

/// Whether `destination` is reachable from `root` over forward connections without passing `avoid`.
fn reachable_avoiding(
    connections: &[Connection],
    forward: &[bool],
    root: usize,
    destination: usize,
    avoid: usize,
) -> bool {
    if root == avoid || destination == avoid {
        return false;
    }
    let mut seen = HashSet::from([root]);
    let mut stack = vec![root];
    while let Some(current) = stack.pop() {
        if current == destination {
            return true;
        }
        let next = connections
            .iter()
            .zip(forward)
            .filter(|(c, is_forward)| **is_forward && c.source == current && c.target != avoid)
            .map(|(c, _)| c.target);
        for target in next {
            if seen.insert(target) {
                stack.push(target);
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(pairs: &[(usize, usize)]) -> Vec<Connection> {
        pairs
            .iter()
            .map(|&(source, target)| Connection {
                source,
                source_port: "Done".into(),
                target,
                key: format!("{source}->{target}"),
            })
            .collect()
    }

    #[test]
    fn loop_back_edges_are_backward_and_valid() {
        // 0 -> 1 -> 2 -> 3 -> 1 (loop back to 1)
        let connections = connect(&[(0, 1), (1, 2), (2, 3), (3, 1)]);
        let graph = FlowGraph::new(&connections, 4, Some(0));
        assert_eq!(graph.forward, vec![true, true, true, false]);
        assert!(graph.is_valid_backward(3));
        assert_eq!(graph.forward_inbound(1), &[0]);
    }

    #[test]
    fn a_back_edge_into_the_middle_of_a_branch_is_invalid() {
        // 0 -> 1 -> 3, 0 -> 2 -> 3, 3 -> 1: the path 0-2-3 avoids 1.
        let connections = connect(&[(0, 1), (1, 3), (0, 2), (2, 3), (3, 1)]);
        let graph = FlowGraph::new(&connections, 4, Some(0));
        assert!(!graph.is_forward(4));
        assert!(!graph.is_valid_backward(4));
    }
}
