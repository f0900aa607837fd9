//! Activity execution contexts: one per execution of one activity, linked to the context of
//! the activity that scheduled it (its owner). Containers declare their variables in their
//! context; lookups walk from a context up through its ancestors (nearest scope wins).

use crate::activities::flowchart::scope::FlowScope;
use crate::workflow::{NodeIdx, VarIdx, Workflow};
use elsa_model::Timestamp;
use elsa_model::instance::ExceptionState;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Index of a context in [`Contexts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ContextIdx(pub usize);

/// Elsa's `ActivityStatus` (`Pending` is not used: contexts are created when they run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActivityStatus {
    Running,
    Completed,
    Canceled,
    Faulted,
}

impl ActivityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "Running",
            Self::Completed => "Completed",
            Self::Canceled => "Canceled",
            Self::Faulted => "Faulted",
        }
    }

    /// Completed, canceled or faulted: the context will not run again.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Completed | Self::Canceled | Self::Faulted)
    }
}

/// The state of one activity execution.
#[derive(Debug, Clone)]
pub(crate) struct ExecutionContext {
    pub id: Arc<str>,
    pub node: NodeIdx,
    pub parent: Option<ContextIdx>,
    pub status: ActivityStatus,
    /// Declared variables and their current values.
    pub variables: Vec<(VarIdx, Value)>,
    /// Input given by the scheduling activity (e.g. the flowchart's `BackwardConnection` flag).
    pub input: Map<String, Value>,
    /// Evaluated wrapped inputs by input name (journal and record `activityState`).
    pub activity_state: Map<String, Value>,
    pub outputs: Map<String, Value>,
    /// Activity-owned state that must survive a suspension (`CurrentIndex`, `FlowScope`).
    pub properties: Map<String, Value>,
    /// The flowchart's `FlowScope` property, kept typed during a run; `properties` holds a
    /// placeholder at its key (so the key keeps its position) until the state is produced.
    pub flow_scope: Option<FlowScope>,
    pub outcomes: Vec<String>,
    /// Faults of this context and its descendants.
    pub fault_count: i32,
    pub exception: Option<ExceptionState>,
    pub started_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

impl ExecutionContext {
    /// `properties` as persisted: with the typed properties converted to JSON.
    pub fn properties_json(&self) -> Map<String, Value> {
        let mut properties = self.properties.clone();
        if let Some(scope) = &self.flow_scope {
            let value = serde_json::to_value(scope).unwrap_or(Value::Null);
            properties.insert(FLOW_SCOPE.to_owned(), value);
        }
        properties
    }
}

/// The context property holding the flowchart's `FlowScope`.
pub(crate) const FLOW_SCOPE: &str = "FlowScope";

/// All contexts of a run, in creation order, with the children of each (also in creation
/// order) so that finding a context's children does not scan the whole run.
#[derive(Debug, Default)]
pub(crate) struct Contexts(Vec<ExecutionContext>, Vec<Vec<ContextIdx>>);

impl Contexts {
    pub fn with_capacity(capacity: usize) -> Self {
        Self(Vec::with_capacity(capacity), Vec::with_capacity(capacity))
    }

    /// Adds a context; its parent (if any) must have been added before.
    pub fn add(&mut self, context: ExecutionContext) -> ContextIdx {
        let idx = ContextIdx(self.0.len());
        if let Some(parent) = context.parent {
            self.1[parent.0].push(idx);
        }
        self.0.push(context);
        self.1.push(Vec::new());
        idx
    }

    /// How many contexts the run holds (restored and new): one activity record each.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn get(&self, idx: ContextIdx) -> &ExecutionContext {
        &self.0[idx.0]
    }

    pub fn get_mut(&mut self, idx: ContextIdx) -> &mut ExecutionContext {
        &mut self.0[idx.0]
    }

    pub fn iter(&self) -> impl Iterator<Item = (ContextIdx, &ExecutionContext)> {
        self.0
            .iter()
            .enumerate()
            .map(|(i, context)| (ContextIdx(i), context))
    }

    pub fn into_iter(self) -> impl Iterator<Item = ExecutionContext> {
        self.0.into_iter()
    }

    /// `idx` and its ancestors, nearest first.
    pub fn lineage(&self, idx: ContextIdx) -> impl Iterator<Item = ContextIdx> + '_ {
        std::iter::successors(Some(idx), |current| self.get(*current).parent)
    }

    pub fn is_descendant_or_self(&self, idx: ContextIdx, ancestor: ContextIdx) -> bool {
        self.lineage(idx).any(|current| current == ancestor)
    }

    pub fn children(&self, parent: ContextIdx) -> impl Iterator<Item = ContextIdx> + '_ {
        self.1[parent.0].iter().copied()
    }

    /// The variable slot a reference resolves to from `idx`: by id through all scopes first,
    /// then by name (nearest scope wins).
    pub fn resolve_variable(
        &self,
        workflow: &Workflow,
        idx: ContextIdx,
        id: Option<&str>,
        name: Option<&str>,
    ) -> Option<VariableSlot> {
        let find = |matches: &dyn Fn(VarIdx) -> bool| {
            self.lineage(idx).find_map(|context| {
                self.get(context)
                    .variables
                    .iter()
                    .position(|(var, _)| matches(*var))
                    .map(|position| VariableSlot { context, position })
            })
        };
        id.and_then(|id| find(&|var| workflow.variable(var).id == id))
            .or_else(|| name.and_then(|name| find(&|var| workflow.variable(var).name == name)))
    }

    /// The variables visible from `idx` by name, nearest scope first.
    pub fn visible_variables(&self, workflow: &Workflow, idx: ContextIdx) -> Map<String, Value> {
        let mut visible = Map::new();
        for context in self.lineage(idx) {
            for (var, value) in &self.get(context).variables {
                let name = &workflow.variable(*var).name;
                if !visible.contains_key(name) {
                    visible.insert(name.clone(), value.clone());
                }
            }
        }
        visible
    }

    pub fn variable(&self, slot: VariableSlot) -> &(VarIdx, Value) {
        &self.get(slot.context).variables[slot.position]
    }

    pub fn set_variable(&mut self, slot: VariableSlot, value: Value) {
        self.get_mut(slot.context).variables[slot.position].1 = value;
    }
}

/// Where a variable lives: its declaring context and position there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VariableSlot {
    pub context: ContextIdx,
    pub position: usize,
}
