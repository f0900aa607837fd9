//! Wire and domain types of Elsa 3, with serde exactly as Elsa writes and reads them.
//!
//! This crate does no I/O. Names on the wire are camelCase; enums are strings.
//!
//! With the `schema` feature (elsa-api's OpenAPI document) the wire types derive their OpenAPI
//! schemas from these serde attributes. A field that reading defaults but writing always
//! includes is marked `required` there, so the schema says what the server sends.

pub mod bookmark;
pub mod definition;
pub mod instance;
pub mod journal;
pub mod json_shape;
pub mod permissions;
pub mod status;
pub mod storable;

pub use bookmark::Bookmark;
pub use definition::{VersionOptions, WorkflowDefinition, WorkflowDefinitionInput};
pub use instance::{Incident, WorkflowInstance, WorkflowInstanceSummary, WorkflowState};
pub use journal::{ActivityExecutionRecord, WorkflowExecutionLogRecord};
pub use json_shape::{JsonLimits, parse_bounded};
pub use status::{WorkflowStatus, WorkflowSubStatus};
pub use storable::{nul_at, storable_text, storable_value};

/// Timestamps are UTC and serialise as ISO-8601 with an offset, as .NET's `DateTimeOffset` does.
/// This crate's own types spell it `DateTime<Utc>`: utoipa's derive knows a date-time by that
/// name, not through an alias.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
