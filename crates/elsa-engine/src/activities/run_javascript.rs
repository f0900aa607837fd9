//! `Elsa.RunJavaScript`: runs the script held by its `Script` input — the input's text is the
//! program, not an expression producing one — with `setOutcome(name)` and `setOutcomes([..])`
//! to choose the outcomes (default `Done`).

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::json;
use crate::loader::NodeBuilder;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, OutputDescriptor,
};
use crate::values::display;
use serde_json::Value;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.RunJavaScript",
    version: 1,
    category: "Scripting",
    display_name: "Run JavaScript",
    description: "Executes JavaScript code",
    kind: ActivityKind::Action,
    inputs: &SCRIPT_INPUTS,
    outputs: &SCRIPT_OUTPUTS,
    // The outcomes are the script's choice.
    ports: &[],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

/// The inputs of every `Run<Language>` activity: the program (raw text, not an expression)
/// and the outcomes it may choose.
pub(super) const SCRIPT_INPUTS: [InputDescriptor; 2] = [
    InputDescriptor::new("Script", "String", "The script to run.")
        .default(DefaultValue::Str(""))
        .raw()
        .ui_hint("code-editor"),
    InputDescriptor::new(
        "PossibleOutcomes",
        "List<String>",
        "The outcomes the script may set.",
    )
    .ui_hint("dynamic-outcomes"),
];

pub(super) const SCRIPT_OUTPUTS: [OutputDescriptor; 1] = [OutputDescriptor {
    name: "Result",
    type_name: "Object",
    description: "The value of the script.",
}];

/// Where the prelude's functions leave the chosen outcomes: a name no declared variable has, so
/// the engine's copy-back of script variables ignores it.
const OUTCOMES_SLOT: &str = "__elsaRunJavaScriptOutcomes";

/// Declares `setOutcome`/`setOutcomes` in front of the script. They store through the
/// `setVariable` global, which hands every name back to the engine after the run.
const PRELUDE: &str = "function setOutcome(outcome) { setVariable('__elsaRunJavaScriptOutcomes', [String(outcome)]); }\n\
function setOutcomes(outcomes) { setVariable('__elsaRunJavaScriptOutcomes', Array.from(outcomes, String)); }\n";

#[derive(Debug)]
struct RunJavaScript {
    /// The prelude and the script.
    program: String,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    let script = match builder.property("script") {
        None => "",
        Some(Value::String(script)) => script.as_str(),
        Some(Value::Object(wrapped)) => json::non_null(wrapped, "expression")
            .and_then(Value::as_object)
            .and_then(|expression| json::string(expression, "value"))
            .unwrap_or_default(),
        Some(_) => return Err(builder.malformed("'script' must be a string")),
    };
    builder.check_script(script, "Script")?;
    Ok(Box::new(RunJavaScript {
        program: format!("{PRELUDE}{script}"),
    }))
}

impl Activity for RunJavaScript {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let (result, variables) = cx.run_script(&self.program)?;
        cx.set_output("Result", result);
        match variables.get(OUTCOMES_SLOT) {
            Some(Value::Array(outcomes)) => {
                cx.complete_with(outcomes.iter().map(display).collect())
            }
            _ => cx.complete(),
        }
        Ok(())
    }
}
