//! `Elsa.WriteLine`: emits a line of text. The engine does no I/O: the line is part of the
//! run result and the runtime prints it.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor, PortDescriptor};
use crate::values::display;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.WriteLine",
    version: 1,
    category: "Console",
    display_name: "Write Line",
    description: "Write a line of text to the console.",
    kind: ActivityKind::Action,
    inputs: &[InputDescriptor::new("Text", "String", "The text to write.")],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(WriteLine)),
};

#[derive(Debug)]
struct WriteLine;

impl Activity for WriteLine {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let text = display(cx.input("Text"));
        cx.write_line(text);
        cx.complete();
        Ok(())
    }
}
