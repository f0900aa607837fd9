//! Elsa's `FlowScope`: visit counters of a flowchart's activities and connections, persisted in
//! the flowchart context's `properties.FlowScope`, that decide when a join may run.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct FlowScope {
    activities_visit_count: BTreeMap<String, u64>,
    connection_visit_count: BTreeMap<String, u64>,
    connection_last_visit_followed: BTreeMap<String, bool>,
}

impl FlowScope {
    pub fn register_activity_visit(&mut self, activity_id: &str) {
        *self
            .activities_visit_count
            .entry(activity_id.to_owned())
            .or_default() += 1;
    }

    pub fn register_connection_visit(&mut self, connection: &str, followed: bool) {
        *self
            .connection_visit_count
            .entry(connection.to_owned())
            .or_default() += 1;
        self.connection_last_visit_followed
            .insert(connection.to_owned(), followed);
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
