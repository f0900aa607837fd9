//! An executable workflow: the definition's activity tree, parsed and validated once, shared
//! read-only by every run (`Send + Sync`, cache it).

use crate::activities::Activity;
use crate::expressions::Expression;
use crate::log_persistence::ActivityLogModes;
use crate::registry::ActivityDescriptor;
use crate::values::ValueType;
use crate::variables::VariableDefinition;
use std::sync::Arc;

/// Index of an activity in [`Workflow::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct NodeIdx(pub usize);

/// Index of a variable in [`Workflow::variables`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct VarIdx(pub usize);

/// A loaded workflow definition, ready to run.
#[derive(Debug)]
pub struct Workflow {
    pub(crate) definition_id: Arc<str>,
    pub(crate) definition_version_id: Arc<str>,
    pub(crate) definition_version: i32,
    pub(crate) is_system: bool,
    /// All activities; children come before their parents, the root (`Workflow1`) is last.
    pub(crate) nodes: Vec<ActivityNode>,
    pub(crate) variables: Vec<VariableDefinition>,
    /// Names of the declared workflow inputs (scripts get `get<Name>()` for each, set or not).
    pub(crate) input_names: Vec<String>,
    /// Names of the declared workflow outputs: an activity output bound to one of these names
    /// sets that workflow output.
    pub(crate) output_names: Vec<String>,
    pub(crate) root: NodeIdx,
    pub(crate) incident_strategy: IncidentStrategy,
}

/// What a fault does to the rest of the workflow (`options.incidentStrategyType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IncidentStrategy {
    /// The workflow ends `Faulted`; nothing else runs (Elsa's default `FaultStrategy`).
    Fault,
    /// Only the faulted branch stops; the others run on (`ContinueWithIncidentsStrategy`).
    ContinueWithIncidents,
}

impl IncidentStrategy {
    /// Elsa writes the strategy as a CLR type name; anything but ContinueWithIncidents faults.
    pub fn from_type_name(type_name: Option<&str>) -> Self {
        match type_name {
            Some(name) if name.contains("ContinueWithIncidents") => Self::ContinueWithIncidents,
            _ => Self::Fault,
        }
    }
}

impl Workflow {
    pub fn definition_id(&self) -> &str {
        &self.definition_id
    }

    pub fn definition_version_id(&self) -> &str {
        &self.definition_version_id
    }

    pub fn definition_version(&self) -> i32 {
        self.definition_version
    }

    pub(crate) fn node(&self, idx: NodeIdx) -> &ActivityNode {
        &self.nodes[idx.0]
    }

    pub(crate) fn variable(&self, idx: VarIdx) -> &VariableDefinition {
        &self.variables[idx.0]
    }
}

/// One activity of the tree.
#[derive(Debug)]
pub(crate) struct ActivityNode {
    pub id: Arc<str>,
    /// Ancestor ids joined with `:` (`Workflow1:Flowchart1:WriteLine1`).
    pub node_id: Arc<str>,
    pub name: Option<Arc<str>>,
    pub descriptor: &'static ActivityDescriptor,
    /// The `type` journals and records show: the descriptor's, or the type name of a workflow
    /// used as an activity.
    pub type_name: Arc<str>,
    pub type_version: i32,
    /// `customProperties.canStartWorkflow` (or the legacy top-level flag).
    pub can_start_workflow: bool,
    /// `customProperties.mergeMode`: how a token-based flowchart joins into this activity.
    pub merge_mode: Option<String>,
    /// What its activity execution records keep (`logPersistenceMode`/`logPersistenceConfig`).
    pub log_modes: ActivityLogModes,
    /// One binding per wrapped input of the descriptor, defaults applied.
    pub inputs: Vec<InputBinding>,
    /// Outputs bound to variables (`"result": {"memoryReference": {"id": "<variableId>"}}`).
    pub output_bindings: Vec<OutputBinding>,
    /// Of a workflow used as an activity: the outputs its definition declares. An output
    /// bound to one of these names (`"memoryReference": {"id": "Result"}`) inside it sets it.
    pub declared_outputs: Vec<String>,
    /// Variables this activity declares (containers).
    pub variables: Vec<VarIdx>,
    pub activity: Box<dyn Activity>,
}

/// How a wrapped input gets its value.
#[derive(Debug)]
pub(crate) struct InputBinding {
    pub name: &'static str,
    pub value_type: ValueType,
    pub expression: Expression,
}

/// An output written to a variable whenever the activity sets it (elsa-api.md §3.3).
#[derive(Debug)]
pub(crate) struct OutputBinding {
    /// The descriptor's output, or a declared output of a workflow used as an activity.
    pub output: std::borrow::Cow<'static, str>,
    pub variable_id: String,
}
