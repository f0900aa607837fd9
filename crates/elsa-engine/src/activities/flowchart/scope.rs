//! Elsa's `FlowScope`: visit counters of a flowchart's activities and connections, persisted in
//! the flowchart context's `properties.FlowScope`, that decide when a join may run.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The flowchart keeps it typed in its context during a run ([`crate::context::ExecutionContext`]
/// `flow_scope`) and it becomes JSON only when the state is produced.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FlowScope {
    activities_visit_count: BTreeMap<String, u64>,
    connection_visit_count: BTreeMap<String, u64>,
    connection_last_visit_followed: BTreeMap<String, bool>,
}

impl FlowScope {
    /// The estimated length of the scope serialized as JSON (keys, counters, punctuation).
    pub fn estimated_len(&self) -> usize {
        let entries = |keys: &mut dyn Iterator<Item = &String>| -> usize {
            keys.map(|key| key.len() + 25).sum()
        };
        80 + entries(&mut self.activities_visit_count.keys())
            + entries(&mut self.connection_visit_count.keys())
            + entries(&mut self.connection_last_visit_followed.keys())
    }
}

/// The previous value of one entry; keys borrowed from the flowchart definition.
#[derive(Debug, Clone, Copy)]
enum Undo<'k> {
    ActivityVisits(&'k str, Option<u64>),
    ConnectionVisits(&'k str, Option<u64>),
    LastVisitFollowed(&'k str, Option<bool>),
}

/// A [`FlowScope`] being changed by one step of the flowchart: every change is recorded, so
/// that a step that fails leaves the scope as it was ([`Recorded::rollback`]).
pub(super) struct Recorded<'a, 'k> {
    scope: &'a mut FlowScope,
    undo: Vec<Undo<'k>>,
}

impl<'a, 'k> Recorded<'a, 'k> {
    pub fn new(scope: &'a mut FlowScope) -> Self {
        Self {
            scope,
            undo: Vec::new(),
        }
    }

    /// Undoes every recorded change.
    pub fn rollback(mut self) {
        fn restore<V>(map: &mut BTreeMap<String, V>, key: &str, previous: Option<V>) {
            match previous {
                Some(value) => {
                    if let Some(slot) = map.get_mut(key) {
                        *slot = value;
                    }
                }
                None => {
                    map.remove(key);
                }
            }
        }
        let scope = &mut *self.scope;
        while let Some(undo) = self.undo.pop() {
            match undo {
                Undo::ActivityVisits(key, previous) => {
                    restore(&mut scope.activities_visit_count, key, previous)
                }
                Undo::ConnectionVisits(key, previous) => {
                    restore(&mut scope.connection_visit_count, key, previous)
                }
                Undo::LastVisitFollowed(key, previous) => {
                    restore(&mut scope.connection_last_visit_followed, key, previous)
                }
            }
        }
    }

    pub fn register_activity_visit(&mut self, activity_id: &'k str) {
        let previous = increment(&mut self.scope.activities_visit_count, activity_id);
        self.undo.push(Undo::ActivityVisits(activity_id, previous));
    }

    pub fn register_connection_visit(&mut self, connection: &'k str, followed: bool) {
        let previous = increment(&mut self.scope.connection_visit_count, connection);
        self.undo.push(Undo::ConnectionVisits(connection, previous));
        let map = &mut self.scope.connection_last_visit_followed;
        let previous = match map.get_mut(connection) {
            Some(slot) => Some(std::mem::replace(slot, followed)),
            None => map.insert(connection.to_owned(), followed),
        };
        self.undo
            .push(Undo::LastVisitFollowed(connection, previous));
    }
}

impl std::ops::Deref for Recorded<'_, '_> {
    type Target = FlowScope;

    fn deref(&self) -> &FlowScope {
        self.scope
    }
}

/// Adds one to `map[key]`; returns the previous count (`None`: there was no entry).
fn increment(map: &mut BTreeMap<String, u64>, key: &str) -> Option<u64> {
    match map.get_mut(key) {
        Some(count) => {
            let previous = *count;
            *count += 1;
            Some(previous)
        }
        None => {
            map.insert(key.to_owned(), 1);
            None
        }
    }
}

impl FlowScope {
    fn activity_visits(&self, activity_id: &str) -> u64 {
        self.activities_visit_count
            .get(activity_id)
            .copied()
            .unwrap_or(0)
    }

    fn connection_visits(&self, connection: &str) -> u64 {
        self.connection_visit_count
            .get(connection)
            .copied()
            .unwrap_or(0)
    }

    /// Every inbound connection was visited since the activity last ran.
    pub fn all_inbound_visited(&self, activity_id: &str, inbound: &[&str]) -> bool {
        let activity_visits = self.activity_visits(activity_id);
        inbound
            .iter()
            .all(|connection| self.connection_visits(connection) > activity_visits)
    }

    /// One of the most recently visited inbound connections was followed.
    pub fn any_inbound_followed(&self, activity_id: &str, inbound: &[&str]) -> bool {
        let latest = inbound
            .iter()
            .map(|c| self.connection_visits(c))
            .max()
            .unwrap_or(0);
        latest > self.activity_visits(activity_id)
            && inbound.iter().any(|connection| {
                self.connection_visits(connection) == latest && self.last_visit_followed(connection)
            })
    }

    /// Every inbound connection was followed on its latest visit (`WaitAll`).
    pub fn all_inbound_followed(&self, inbound: &[&str]) -> bool {
        inbound
            .iter()
            .all(|connection| self.last_visit_followed(connection))
    }

    /// A visit of `connection` that the target already answered (`WaitAny`: a late branch).
    pub fn is_stale(&self, connection: &str, activity_id: &str) -> bool {
        self.connection_visits(connection) <= self.activity_visits(activity_id)
    }

    fn last_visit_followed(&self, connection: &str) -> bool {
        self.connection_last_visit_followed
            .get(connection)
            .copied()
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::{FlowScope, Recorded};
    use serde_json::json;

    #[test]
    fn rollback_restores_the_scope_as_it_was_at_begin() {
        let mut scope: FlowScope = serde_json::from_value(json!({
            "ActivitiesVisitCount": {"A": 1, "Z": 0},
            "ConnectionVisitCount": {"A:Done->B:In": 1},
            "ConnectionLastVisitFollowed": {"A:Done->B:In": false}
        }))
        .unwrap();
        let before = serde_json::to_value(&scope).unwrap();
        let mut step = Recorded::new(&mut scope);
        step.register_activity_visit("A");
        step.register_activity_visit("Z");
        step.register_activity_visit("B");
        step.register_connection_visit("A:Done->B:In", true);
        step.register_connection_visit("B:Done->C:In", true);
        step.register_connection_visit("B:Done->C:In", false);
        assert_ne!(serde_json::to_value(&*step).unwrap(), before);
        step.rollback();
        assert_eq!(serde_json::to_value(&scope).unwrap(), before);
    }
}
