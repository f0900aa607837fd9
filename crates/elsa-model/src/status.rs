use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// `status` of a workflow instance: Elsa only knows two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub enum WorkflowStatus {
    Running,
    Finished,
}

/// `subStatus` of a workflow instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub enum WorkflowSubStatus {
    Pending,
    Executing,
    Suspended,
    Finished,
    Cancelled,
    Faulted,
    Interrupted,
}

impl WorkflowSubStatus {
    /// The status Elsa derives from a sub-status.
    pub fn status(self) -> WorkflowStatus {
        match self {
            Self::Pending | Self::Executing | Self::Suspended | Self::Interrupted => {
                WorkflowStatus::Running
            }
            Self::Finished | Self::Cancelled | Self::Faulted => WorkflowStatus::Finished,
        }
    }
}

macro_rules! string_enum {
    ($ty:ident { $($variant:ident),* $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => stringify!($variant)),* }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            /// Case-insensitive, as Elsa's enum binding is.
            fn from_str(s: &str) -> Result<Self, String> {
                $(if s.eq_ignore_ascii_case(stringify!($variant)) { return Ok(Self::$variant); })*
                Err(format!("'{s}' is not a valid {}", stringify!($ty)))
            }
        }
    };
}

string_enum!(WorkflowStatus { Running, Finished });
string_enum!(WorkflowSubStatus {
    Pending,
    Executing,
    Suspended,
    Finished,
    Cancelled,
    Faulted,
    Interrupted
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_status_maps_to_status_and_parses_case_insensitively() {
        assert_eq!(
            WorkflowSubStatus::Faulted.status(),
            WorkflowStatus::Finished
        );
        assert_eq!(
            WorkflowSubStatus::Suspended.status(),
            WorkflowStatus::Running
        );
        assert_eq!(
            "finished".parse::<WorkflowSubStatus>().unwrap(),
            WorkflowSubStatus::Finished
        );
        assert!("Done".parse::<WorkflowStatus>().is_err());
    }
}
