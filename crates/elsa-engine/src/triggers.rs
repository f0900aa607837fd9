//! The trigger activities of a workflow with their inputs evaluated, for the runtime's trigger
//! index and publish validation (Elsa computes trigger payloads the same way, outside a run).

use crate::clock::{Clock, IdGenerator};
use crate::engine::{Engine, StartRequest};
use crate::execution::Execution;
use crate::registry::ActivityKind;
use crate::workflow::{NodeIdx, Workflow};
use serde_json::{Map, Value};

/// One activity that can start the workflow (`canStartWorkflow` on a trigger type).
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub activity_id: String,
    /// The descriptor's type name (`Elsa.HttpEndpoint`, `Elsa.Cron`, ...).
    pub type_name: &'static str,
    /// Evaluated inputs by descriptor name (`Path`, `SupportedMethods`, `CronExpression`); an
    /// input whose expression cannot be evaluated without a run is absent.
    pub inputs: Map<String, Value>,
}

impl Engine {
    /// The workflow's triggers, in tree order. Expressions see no workflow variables or input.
    pub fn triggers(
        &self,
        workflow: &Workflow,
        clock: &dyn Clock,
        ids: &dyn IdGenerator,
    ) -> Vec<Trigger> {
        let mut execution =
            Execution::new(workflow, &self.limits, StartRequest::default(), clock, ids);
        workflow
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| {
                node.descriptor.kind == ActivityKind::Trigger && node.can_start_workflow
            })
            .map(|(index, node)| Trigger {
                activity_id: node.id.to_string(),
                type_name: node.descriptor.type_name,
                inputs: execution.evaluate_detached(NodeIdx(index)),
            })
            .collect()
    }
}
