//! `Elsa.RunCSharp` and `Elsa.RunPython`: Elsa's scripting activities for languages this
//! server does not run. They are real activity types — described like Elsa's (Studio offers
//! them, definitions using them load and publish) — that fault when executed, as a `CSharp`
//! or `Python` expression does when evaluated.

use super::Activity;
use super::run_javascript::{SCRIPT_INPUTS, SCRIPT_OUTPUTS};
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind};

pub(crate) static RUN_CSHARP: ActivityDescriptor =
    descriptor("Elsa.RunCSharp", "Run C#", "Executes C# code", |_| {
        Ok(Box::new(UnsupportedScript { language: "C#" }))
    });

pub(crate) static RUN_PYTHON: ActivityDescriptor = descriptor(
    "Elsa.RunPython",
    "Run Python",
    "Executes Python code",
    |_| Ok(Box::new(UnsupportedScript { language: "Python" })),
);

const fn descriptor(
    type_name: &'static str,
    display_name: &'static str,
    description: &'static str,
    build: super::BuildFn,
) -> ActivityDescriptor {
    ActivityDescriptor {
        type_name,
        version: 1,
        category: "Scripting",
        display_name,
        description,
        kind: ActivityKind::Action,
        inputs: &SCRIPT_INPUTS,
        outputs: &SCRIPT_OUTPUTS,
        ports: &[],
        is_container: false,
        is_browsable: true,
        is_start: false,
        is_terminal: false,
        build,
    }
}

#[derive(Debug)]
struct UnsupportedScript {
    language: &'static str,
}

impl Activity for UnsupportedScript {
    fn execute(&self, _cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        Err(Fault::new(
            "NotSupportedException",
            format!("Running {} code is not supported.", self.language),
        ))
    }
}
