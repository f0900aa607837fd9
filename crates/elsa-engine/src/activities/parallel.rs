//! `Elsa.Parallel`: runs all its activities at once; completes when all have completed.

use super::fork::Fork;
use crate::registry::{ActivityDescriptor, ActivityKind};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Parallel",
    version: 1,
    category: "Workflows",
    display_name: "Parallel",
    description: "Execute a set of activities in parallel.",
    kind: ActivityKind::Action,
    inputs: &[],
    outputs: &[],
    ports: &[],
    is_container: true,
    is_browsable: false,
    is_start: false,
    is_terminal: false,
    build: |builder| Ok(Box::new(Fork::build(builder, "activities", false)?)),
};
