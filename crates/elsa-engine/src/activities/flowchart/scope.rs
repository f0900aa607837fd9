//! Elsa's `FlowScope`: visit counters of a flowchart's activities and connections, persisted in
//! the flowchart context's `properties.FlowScope`, that decide when a join may run.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

///
/// The flowchart keeps it typed in its context during a run ([`crate::context::ExecutionContext`]
/// `flow_scope`) and it becomes JSON only when the state is produced.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FlowScope {
    activities_visit_count: BTreeMap<String, u64>,
    connection_visit_count: BTreeMap<String, u64>,
    connection_last_visit_followed: BTreeMap<String, bool>,
    /// How to undo the changes since [`FlowScope::begin`], latest last: a failed step leaves
    /// the scope as it was.
    #[serde(skip)]
    undo: Vec<Undo>,
}

/// The previous value of one entry.
#[derive(Debug, Clone)]
enum Undo {
    ActivityVisits(String, Option<u64>),
    ConnectionVisits(String, Option<u64>),
    LastVisitFollowed(String, Option<bool>),
}

impl FlowScope {
    /// Starts recording changes that [`FlowScope::rollback`] undoes.
    pub fn begin(&mut self) {
        self.undo.clear();
    }

    /// Undoes every change since [`FlowScope::begin`].
    pub fn rollback(&mut self) {
        fn restore<V>(map: &mut BTreeMap<String, V>, key: String, previous: Option<V>) {
            match previous {
                Some(value) => {
                    map.insert(key, value);
                }
                None => {
                    map.remove(&key);
                }
            }
        }
        while let Some(undo) = self.undo.pop() {
            match undo {
                Undo::ActivityVisits(key, previous) => {
                    restore(&mut self.activities_visit_count, key, previous)
                }
                Undo::ConnectionVisits(key, previous) => {
                    restore(&mut self.connection_visit_count, key, previous)
                }
                Undo::LastVisitFollowed(key, previous) => {
                    restore(&mut self.connection_last_visit_followed, key, previous)
                }
            }
        }
    }

    pub fn register_activity_visit(&mut self, activity_id: &str) {
        let previous = self.activities_visit_count.get(activity_id).copied();
        self.undo
            .push(Undo::ActivityVisits(activity_id.to_owned(), previous));
        *self
            .activities_visit_count
            .entry(activity_id.to_owned())
            .or_default() += 1;
    }

    pub fn register_connection_visit(&mut self, connection: &str, followed: bool) {
        let previous = self.connection_visit_count.get(connection).copied();
        self.undo
            .push(Undo::ConnectionVisits(connection.to_owned(), previous));
        *self
            .connection_visit_count
            .entry(connection.to_owned())
            .or_default() += 1;
        let previous = self
            .connection_last_visit_followed
            .insert(connection.to_owned(), followed);
        self.undo
            .push(Undo::LastVisitFollowed(connection.to_owned(), previous));
    }

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
    use super::FlowScope;
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
        scope.begin();
        scope.register_activity_visit("A");
        scope.register_activity_visit("Z");
        scope.register_activity_visit("B");
        scope.register_connection_visit("A:Done->B:In", true);
        scope.register_connection_visit("B:Done->C:In", true);
        scope.register_connection_visit("B:Done->C:In", false);
        assert_ne!(serde_json::to_value(&scope).unwrap(), before);
        scope.rollback();
        assert_eq!(serde_json::to_value(&scope).unwrap(), before);
    }
}
