//! `assign` and `capture`, the tags that set variables, as in liquid-lib's standard library
//! (MIT) but refusing a value over the render's value limit, or variables over its memory
//! limit (`limits.rs`): without them a template that doubles a string in a loop grows until
//! the process runs out of memory.

use super::limits::{self, Breach, CappedBuffer};
use liquid_core::error::ResultLiquidExt;
use liquid_core::model::{KString, Value};
use liquid_core::parser::FilterChain;
use liquid_core::{BlockReflection, ParseBlock, TagBlock, TagTokenIter};
use liquid_core::{Language, ParseTag, Renderable, Result, Runtime, TagReflection, Template};
use std::io::Write;

/// `{% assign name = expression | filters %}`.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct AssignTag;

impl TagReflection for AssignTag {
    fn tag(&self) -> &'static str {
        "assign"
    }

    fn description(&self) -> &'static str {
        "Sets a variable to a value."
    }
}

impl ParseTag for AssignTag {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        options: &Language,
    ) -> Result<Box<dyn Renderable>> {
        let name = arguments
            .expect_next("Identifier expected.")?
            .expect_identifier()
            .into_result()?
            .to_owned()
            .into();
        arguments
            .expect_next("Assignment operator \"=\" expected.")?
            .expect_str("=")
            .into_result_custom_msg("Assignment operator \"=\" expected.")?;
        let source = arguments
            .expect_next("FilterChain expected.")?
            .expect_filter_chain(options)
            .into_result()?;
        arguments.expect_nothing()?;
        Ok(Box::new(Assign { name, source }))
    }

    fn reflection(&self) -> &dyn TagReflection {
        self
    }
}

#[derive(Debug)]
struct Assign {
    name: KString,
    source: FilterChain,
}

impl Renderable for Assign {
    fn render_to(&self, _writer: &mut dyn Write, runtime: &dyn Runtime) -> Result<()> {
        let value = self
            .source
            .evaluate(runtime)
            .trace_with(|| format!("{{% assign {} = {}%}}", self.name, self.source).into())?
            .into_owned();
        limits::charge_variable(runtime, &self.name, &value)?;
        runtime.set_global(self.name.clone(), value);
        Ok(())
    }
}

/// `{% capture name %}...{% endcapture %}`: the rendered body becomes a variable.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct CaptureBlock;

impl BlockReflection for CaptureBlock {
    fn start_tag(&self) -> &str {
        "capture"
    }

    fn end_tag(&self) -> &str {
        "endcapture"
    }

    fn description(&self) -> &str {
        "Sets a variable to the rendered body."
    }
}

impl ParseBlock for CaptureBlock {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        mut tokens: TagBlock<'_, '_>,
        options: &Language,
    ) -> Result<Box<dyn Renderable>> {
        let name: KString = arguments
            .expect_next("Identifier expected")?
            .expect_identifier()
            .into_result()?
            .to_owned()
            .into();
        arguments.expect_nothing()?;
        let body = tokens
            .parse_all(options)
            .trace_with(|| format!("{{% capture {name} %}}").into())?;
        tokens.assert_empty();
        Ok(Box::new(Capture {
            name,
            body: Template::new(body),
        }))
    }

    fn reflection(&self) -> &dyn BlockReflection {
        self
    }
}

#[derive(Debug)]
struct Capture {
    name: KString,
    body: Template,
}

impl Renderable for Capture {
    fn render_to(&self, _writer: &mut dyn Write, runtime: &dyn Runtime) -> Result<()> {
        // The body may not grow past the value limit while it renders, not only once done.
        let limit = limits::value_limit(runtime);
        let mut captured = CappedBuffer::new(limit);
        let rendered = self
            .body
            .render_to(&mut captured, runtime)
            .trace_with(|| format!("{{% capture {} %}}", self.name).into());
        if captured.exceeded() {
            return Err(limits::fail(runtime, Breach::Value(limit)));
        }
        rendered?;
        let value = Value::scalar(captured.into_string());
        limits::charge_variable(runtime, &self.name, &value)?;
        runtime.set_global(self.name.clone(), value);
        Ok(())
    }
}
