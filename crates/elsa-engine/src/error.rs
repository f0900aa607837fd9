//! The engine's two error types: [`LoadError`] rejects a definition before anything runs;
//! [`Fault`] is raised while an activity runs and becomes an incident, never a panic.

use elsa_model::instance::ExceptionState;

/// Why a workflow definition cannot be turned into an executable [`crate::Workflow`].
/// `Display` is one sentence meant for the `errors` of a 400 problem body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("Activity '{activity_id}' has unknown type '{type_name}'.")]
    UnknownActivityType {
        type_name: String,
        activity_id: String,
    },

    #[error("Malformed workflow JSON at {path}: {reason}.")]
    Malformed { path: String, reason: String },

    #[error(
        "Activity '{activity_id}' of type '{type_name}' uses the workflow it belongs to as an activity."
    )]
    RecursiveActivity {
        type_name: String,
        activity_id: String,
    },

    #[error("Activity id '{activity_id}' is used by more than one activity.")]
    DuplicateActivityId { activity_id: String },

    #[error(
        "Input '{input}' of activity '{activity_id}' has a value that is not a valid {type_name}: {reason}."
    )]
    InvalidLiteral {
        activity_id: String,
        input: String,
        type_name: String,
        reason: String,
    },

    #[error(
        "The expression in input '{input}' of activity '{activity_id}' does not compile: {message}"
    )]
    ScriptSyntax {
        activity_id: String,
        input: String,
        message: String,
    },
}

/// An error raised while an activity executes: recorded as an incident on that activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    /// The exception type alias Elsa shows (`JavaScriptException`, `InvalidOperationException`, ...).
    pub exception_type: &'static str,
    pub message: String,
    /// `Elsa.Fault`'s classification, kept in the journal's `Faulted` payload.
    pub details: Option<FaultDetails>,
}

/// What `Elsa.Fault` says about the fault besides its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FaultDetails {
    pub code: String,
    pub category: String,
    pub fault_type: String,
}

impl Fault {
    pub fn new(exception_type: &'static str, message: impl Into<String>) -> Self {
        Self {
            exception_type,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(self, code: String, category: String, fault_type: String) -> Self {
        Self {
            details: Some(FaultDetails {
                code,
                category,
                fault_type,
            }),
            ..self
        }
    }

    pub fn invalid_operation(message: impl Into<String>) -> Self {
        Self::new("InvalidOperationException", message)
    }

    pub(crate) fn exception_state(&self) -> ExceptionState {
        ExceptionState {
            type_name: self.exception_type.to_owned(),
            message: self.message.clone(),
            stack_trace: None,
            inner_exception: None,
        }
    }
}
