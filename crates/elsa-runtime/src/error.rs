use crate::ValidationError;
use elsa_engine::{LoadError, ResumeError};
use elsa_store::StoreError;
use thiserror::Error;

/// Errors of the runtime layer; the API maps each to a status code.
#[derive(Debug, Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("workflow definition {0} was not found")]
    DefinitionNotFound(String),
    #[error("workflow definition {id} is not valid: {source}")]
    InvalidWorkflow {
        id: String,
        #[source]
        source: LoadError,
    },
    #[error("workflow instance {0} was not found")]
    InstanceNotFound(String),
    #[error("workflow instance {0} exists already")]
    InstanceExists(String),
    #[error(transparent)]
    Resume(#[from] ResumeError),
    #[error("the workflow did not finish within {0} bookmark resumptions")]
    ResumeLimit(usize),
    #[error("more than {0} child workflows and resumptions followed one request")]
    FollowUpLimit(usize),
    #[error("the workflow definition file is not valid: {0}")]
    InvalidDefinitionFile(String),
    #[error("the token is not valid ({0})")]
    InvalidToken(String),
    #[error("workflow definition {0} is read-only")]
    ReadOnly(String),
    #[error("workflow definition {0} is not published")]
    NotPublished(String),
    #[error("the runtime is shutting down")]
    Stopped,
    #[error("{0}")]
    HttpClient(String),
    #[error("the engine failed unexpectedly; the run was abandoned")]
    EnginePanicked,
    /// Publishing found validation errors and `FailOnValidationErrors` is on.
    #[error("the workflow cannot be published: {}", messages(.0))]
    ValidationFailed(Vec<ValidationError>),
}

fn messages(errors: &[ValidationError]) -> String {
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    messages.join(" ")
}
