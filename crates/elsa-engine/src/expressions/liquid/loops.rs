//! `for` and `tablerow`, as in liquid-lib's standard library (MIT), with two changes that
//! bound what a loop costs:
//! * every iteration is charged to the render's budget (`limits.rs`), which also checks the
//!   clock, so nested or long loops end with an error instead of pinning the thread;
//! * a counted range `(a..b)` is walked, not collected first: the library builds a vector of
//!   all its numbers before the first iteration, gigabytes for `(1..1000000000)`.
//!
//! One fix besides: `offset` with a `limit` reaching past the end no longer pads the items
//! with nils.

use super::limits;
use liquid_core::error::{ResultLiquidExt, ResultLiquidReplaceExt};
use liquid_core::model::{KString, KStringRef, ObjectView, Scalar, Value, ValueCow, ValueView};
use liquid_core::parser::{BlockElement, TryMatchToken};
use liquid_core::runtime::{Interrupt, InterruptRegister, StackFrame};
use liquid_core::{BlockReflection, ParseBlock, TagBlock, TagTokenIter};
use liquid_core::{Error, Expression, Language, Renderable, Result, Runtime, Template};
use std::collections::HashMap;
use std::fmt;
use std::io::Write;

/// `{% for item in items limit: n offset: n reversed %}...{% else %}...{% endfor %}`.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct ForBlock;

impl BlockReflection for ForBlock {
    fn start_tag(&self) -> &str {
        "for"
    }

    fn end_tag(&self) -> &str {
        "endfor"
    }

    fn description(&self) -> &str {
        "Renders its body for each item of an array or range."
    }
}

impl ParseBlock for ForBlock {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        mut tokens: TagBlock<'_, '_>,
        options: &Language,
    ) -> Result<Box<dyn Renderable>> {
        let (var_name, range) = parse_head(&mut arguments)?;
        let mut window = Window::default();
        while let Some(token) = arguments.next() {
            match token.as_str() {
                "limit" => window.limit = Some(parse_attr(&mut arguments)?),
                "offset" => window.offset = Some(parse_attr(&mut arguments)?),
                "reversed" => window.reversed = true,
                _ => {
                    return token
                        .raise_custom_error("\"limit\", \"offset\" or \"reversed\" expected.")
                        .into_err();
                }
            }
        }
        arguments.expect_nothing()?;

        let mut body = Vec::new();
        let mut otherwise = None;
        while let Some(element) = tokens.next()? {
            match element {
                BlockElement::Tag(mut tag) => match tag.name() {
                    "else" => {
                        tag.tokens().expect_nothing()?;
                        otherwise = Some(Template::new(tokens.parse_all(options)?));
                        break;
                    }
                    _ => body.push(tag.parse(&mut tokens, options)?),
                },
                element => body.push(element.parse(&mut tokens, options)?),
            }
        }
        tokens.assert_empty();
        Ok(Box::new(For {
            var_name,
            range,
            window,
            body: Template::new(body),
            otherwise,
        }))
    }

    fn reflection(&self) -> &dyn BlockReflection {
        self
    }
}

#[derive(Debug)]
struct For {
    var_name: KString,
    range: RangeExpression,
    window: Window,
    body: Template,
    /// The `else` branch, rendered when there is no item.
    otherwise: Option<Template>,
}

impl For {
    fn trace(&self) -> KString {
        format!(
            "{{% for {} in {}{} %}}",
            self.var_name, self.range, self.window
        )
        .into()
    }
}

impl Renderable for For {
    fn render_to(&self, writer: &mut dyn Write, runtime: &dyn Runtime) -> Result<()> {
        let range = self.range.evaluate(runtime).trace_with(|| self.trace())?;
        let items = self.window.apply(range.items()?, runtime)?;
        let length = items.len();
        if length == 0 {
            if let Some(otherwise) = &self.otherwise {
                otherwise
                    .render_to(writer, runtime)
                    .trace("{% else %}")
                    .trace_with(|| self.trace())?;
            }
            return Ok(());
        }
        let parentloop = runtime.try_get(&[Scalar::new("forloop")]);
        let parentloop = parentloop.as_ref().map(|value| value.as_view());
        for (index, item) in items.walk().enumerate() {
            limits::charge_iteration(runtime)?;
            let forloop = ForloopObject::new(index, length, parentloop);
            let mut root = HashMap::<KStringRef<'_>, &dyn ValueView>::new();
            root.insert("forloop".into(), &forloop);
            root.insert(self.var_name.as_ref(), &item);
            let scope = StackFrame::new(runtime, &root);
            self.body
                .render_to(writer, &scope)
                .trace_with(|| self.trace())
                .context_key("index")
                .value_with(|| format!("{}", index + 1).into())?;
            let interrupt = scope.registers().get_mut::<InterruptRegister>().reset();
            if let Some(Interrupt::Break) = interrupt {
                break;
            }
        }
        Ok(())
    }
}

/// `forloop` inside a `for`.
#[derive(Debug, Clone, ValueView, ObjectView)]
struct ForloopObject<'p> {
    length: i64,
    parentloop: Option<&'p dyn ValueView>,
    index0: i64,
    index: i64,
    rindex0: i64,
    rindex: i64,
    first: bool,
    last: bool,
}

impl<'p> ForloopObject<'p> {
    fn new(index: usize, length: usize, parentloop: Option<&'p dyn ValueView>) -> Self {
        let (index, length) = (as_i64(index), as_i64(length));
        Self {
            length,
            parentloop,
            index0: index,
            index: index + 1,
            rindex0: length - index - 1,
            rindex: length - index,
            first: index == 0,
            last: index == length - 1,
        }
    }
}

/// `{% tablerow item in items cols: n limit: n offset: n %}...{% endtablerow %}`.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct TableRowBlock;

impl BlockReflection for TableRowBlock {
    fn start_tag(&self) -> &str {
        "tablerow"
    }

    fn end_tag(&self) -> &str {
        "endtablerow"
    }

    fn description(&self) -> &str {
        "Renders its body in an HTML table cell for each item of an array or range."
    }
}

impl ParseBlock for TableRowBlock {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        mut tokens: TagBlock<'_, '_>,
        options: &Language,
    ) -> Result<Box<dyn Renderable>> {
        let (var_name, range) = parse_head(&mut arguments)?;
        let mut cols = None;
        let mut window = Window::default();
        while let Some(token) = arguments.next() {
            match token.as_str() {
                "cols" => cols = Some(parse_attr(&mut arguments)?),
                "limit" => window.limit = Some(parse_attr(&mut arguments)?),
                "offset" => window.offset = Some(parse_attr(&mut arguments)?),
                _ => {
                    return token
                        .raise_custom_error("\"cols\", \"limit\" or \"offset\" expected.")
                        .into_err();
                }
            }
        }
        arguments.expect_nothing()?;
        let body = Template::new(tokens.parse_all(options)?);
        tokens.assert_empty();
        Ok(Box::new(TableRow {
            var_name,
            range,
            cols,
            window,
            body,
        }))
    }

    fn reflection(&self) -> &dyn BlockReflection {
        self
    }
}

#[derive(Debug)]
struct TableRow {
    var_name: KString,
    range: RangeExpression,
    cols: Option<Expression>,
    window: Window,
    body: Template,
}

impl TableRow {
    fn trace(&self) -> KString {
        let cols = match &self.cols {
            Some(cols) => format!(" cols:{cols}"),
            None => String::new(),
        };
        format!(
            "{{% tablerow {} in {}{cols}{} %}}",
            self.var_name, self.range, self.window
        )
        .into()
    }
}

impl Renderable for TableRow {
    fn render_to(&self, writer: &mut dyn Write, runtime: &dyn Runtime) -> Result<()> {
        let range = self.range.evaluate(runtime).trace_with(|| self.trace())?;
        let items = self.window.apply(range.items()?, runtime)?;
        let length = items.len();
        // No `cols` (or zero, which the library divides by) means one row.
        let cols = match evaluate_attr(&self.cols, runtime)? {
            Some(cols) if cols > 0 => cols,
            _ => length.max(1),
        };
        for (index, item) in items.walk().enumerate() {
            limits::charge_iteration(runtime)?;
            let (row, col) = (index / cols, index % cols);
            let tablerow = TableRowObject::new(index, length, col, cols);
            let mut root = HashMap::<KStringRef<'_>, &dyn ValueView>::new();
            root.insert("tablerow".into(), &tablerow);
            root.insert(self.var_name.as_ref(), &item);
            if tablerow.col_first {
                write!(writer, "<tr class=\"row{}\">", row + 1).replace("Failed to render")?;
            }
            write!(writer, "<td class=\"col{}\">", col + 1).replace("Failed to render")?;
            let scope = StackFrame::new(runtime, &root);
            self.body
                .render_to(writer, &scope)
                .trace_with(|| self.trace())
                .context_key("index")
                .value_with(|| format!("{}", index + 1).into())?;
            write!(writer, "</td>").replace("Failed to render")?;
            if tablerow.col_last {
                write!(writer, "</tr>").replace("Failed to render")?;
            }
        }
        Ok(())
    }
}

/// `tablerow` inside a `tablerow`.
#[derive(Debug, Clone, ValueView, ObjectView)]
struct TableRowObject {
    length: i64,
    index0: i64,
    index: i64,
    rindex0: i64,
    rindex: i64,
    first: bool,
    last: bool,
    col0: i64,
    col: i64,
    col_first: bool,
    col_last: bool,
}

impl TableRowObject {
    fn new(index: usize, length: usize, col: usize, cols: usize) -> Self {
        let (index, length, col, cols) = (as_i64(index), as_i64(length), as_i64(col), as_i64(cols));
        let last = index == length - 1;
        Self {
            length,
            index0: index,
            index: index + 1,
            rindex0: length - index - 1,
            rindex: length - index,
            first: index == 0,
            last,
            col0: col,
            col: col + 1,
            col_first: col == 0,
            col_last: col == cols - 1 || last,
        }
    }
}

/// `item in items`: the loop variable and what it walks.
fn parse_head(arguments: &mut TagTokenIter<'_>) -> Result<(KString, RangeExpression)> {
    let var_name = arguments
        .expect_next("Identifier expected.")?
        .expect_identifier()
        .into_result()?;
    let var_name = KString::from_ref(var_name);
    arguments
        .expect_next("\"in\" expected.")?
        .expect_str("in")
        .into_result_custom_msg("\"in\" expected.")?;
    let range = arguments.expect_next("Array or range expected.")?;
    let range = match range.expect_value() {
        TryMatchToken::Matches(array) => RangeExpression::Array(array),
        TryMatchToken::Fails(range) => match range.expect_range() {
            TryMatchToken::Matches((start, stop)) => RangeExpression::Counted(start, stop),
            TryMatchToken::Fails(range) => return range.raise_error().into_err(),
        },
    };
    Ok((var_name, range))
}

/// `name: value` after the head.
fn parse_attr(arguments: &mut TagTokenIter<'_>) -> Result<Expression> {
    arguments
        .expect_next("\":\" expected.")?
        .expect_str(":")
        .into_result_custom_msg("\":\" expected.")?;
    arguments
        .expect_next("Value expected.")?
        .expect_value()
        .into_result()
}

/// A whole-number attribute; a negative one counts as zero.
fn evaluate_attr(attr: &Option<Expression>, runtime: &dyn Runtime) -> Result<Option<usize>> {
    let Some(attr) = attr else {
        return Ok(None);
    };
    let value = attr.evaluate(runtime)?;
    let number = value
        .as_scalar()
        .and_then(|scalar| scalar.to_integer())
        .ok_or_else(|| unexpected_value("whole number", value.type_name()))?;
    Ok(Some(usize::try_from(number.max(0)).unwrap_or(usize::MAX)))
}

fn unexpected_value(expected: &str, actual: &str) -> Error {
    Error::with_msg(format!("Expected {expected}, found `{actual}`"))
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `limit`, `offset` and `reversed`: which part of the items a loop walks, in which order.
#[derive(Debug, Default)]
struct Window {
    limit: Option<Expression>,
    offset: Option<Expression>,
    reversed: bool,
}

impl Window {
    fn apply<'r>(&self, items: Items<'r>, runtime: &dyn Runtime) -> Result<Items<'r>> {
        let limit = evaluate_attr(&self.limit, runtime)?;
        let offset = evaluate_attr(&self.offset, runtime)?.unwrap_or(0);
        Ok(items.window(offset, limit, self.reversed))
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(limit) = &self.limit {
            write!(f, " limit:{limit}")?;
        }
        if let Some(offset) = &self.offset {
            write!(f, " offset:{offset}")?;
        }
        if self.reversed {
            write!(f, " reversed")?;
        }
        Ok(())
    }
}

/// What follows `in`: an array (or object) expression, or a counted range `(start..stop)`.
#[derive(Clone, Debug)]
enum RangeExpression {
    Array(Expression),
    Counted(Expression, Expression),
}

impl RangeExpression {
    fn evaluate<'r>(&'r self, runtime: &'r dyn Runtime) -> Result<Range<'r>> {
        Ok(match self {
            Self::Array(array) => Range::Array(array.evaluate(runtime)?),
            Self::Counted(start, stop) => Range::Counted(
                int_argument(start, runtime, "start")?,
                int_argument(stop, runtime, "end")?,
            ),
        })
    }
}

impl fmt::Display for RangeExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Array(array) => write!(f, "{array}"),
            Self::Counted(start, stop) => write!(f, "({start}..{stop})"),
        }
    }
}

fn int_argument(arg: &Expression, runtime: &dyn Runtime, name: &str) -> Result<i64> {
    let value = arg.evaluate(runtime)?;
    value
        .as_scalar()
        .and_then(|scalar| scalar.to_integer())
        .ok_or_else(|| unexpected_value("whole number", value.type_name()))
        .context_key_with(|| name.to_owned().into())
        .value_with(|| value.to_kstr().into_owned())
}

/// A range expression's value.
enum Range<'r> {
    Array(ValueCow<'r>),
    Counted(i64, i64),
}

impl Range<'_> {
    fn items(&self) -> Result<Items<'_>> {
        match self {
            Range::Array(array) => array_items(array.as_view()).map(Items::Values),
            Range::Counted(start, stop) => {
                let length = i128::from(*stop) - i128::from(*start) + 1;
                Ok(Items::Counted {
                    start: *start,
                    length: usize::try_from(length.max(0)).unwrap_or(usize::MAX),
                    reversed: false,
                })
            }
        }
    }
}

/// An array's items; an object's `[key, value]` pairs; nothing for nil.
fn array_items(array: &dyn ValueView) -> Result<Vec<ValueCow<'_>>> {
    if let Some(array) = array.as_array() {
        Ok(array.values().map(ValueCow::Borrowed).collect())
    } else if let Some(object) = array.as_object() {
        Ok(object
            .iter()
            .map(|(key, value)| {
                let pair = vec![Value::scalar(key.into_owned()), value.to_value()];
                ValueCow::Owned(Value::Array(pair))
            })
            .collect())
    } else if array.is_state() || array.is_nil() {
        Ok(Vec::new())
    } else {
        Err(unexpected_value("array", array.type_name()))
    }
}

/// What a loop walks: values, or the numbers of a counted range (made one at a time).
enum Items<'r> {
    Values(Vec<ValueCow<'r>>),
    Counted {
        start: i64,
        length: usize,
        reversed: bool,
    },
}

impl<'r> Items<'r> {
    fn len(&self) -> usize {
        match self {
            Items::Values(values) => values.len(),
            Items::Counted { length, .. } => *length,
        }
    }

    /// Skips `offset` items, keeps at most `limit`, and reverses if asked.
    fn window(self, offset: usize, limit: Option<usize>, reversed: bool) -> Self {
        let offset = offset.min(self.len());
        let length = (self.len() - offset).min(limit.unwrap_or(usize::MAX));
        match self {
            Items::Values(mut values) => {
                values.drain(..offset);
                values.truncate(length);
                if reversed {
                    values.reverse();
                }
                Items::Values(values)
            }
            Items::Counted { start, .. } => Items::Counted {
                start: start.wrapping_add(as_i64(offset)),
                length,
                reversed,
            },
        }
    }

    fn walk(self) -> Box<dyn Iterator<Item = ValueCow<'r>> + 'r> {
        match self {
            Items::Values(values) => Box::new(values.into_iter()),
            Items::Counted {
                start,
                length,
                reversed,
            } => Box::new((0..length).map(move |index| {
                let step = if reversed { length - 1 - index } else { index };
                ValueCow::Owned(Value::scalar(start.wrapping_add(as_i64(step))))
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{LiquidLimits, render_source};
    use serde_json::json;

    fn render(source: &str) -> String {
        let variables = json!({"Items": [1, 2, 3], "Order": {"Id": 7}});
        render_source(source, variables, &LiquidLimits::default()).unwrap()
    }

    #[test]
    fn loops_behave_as_the_standard_library_s() {
        let cases = [
            (
                "{% for i in (1..5) offset: 1 limit: 3 reversed %}{{ i }}{% endfor %}",
                "432",
            ),
            (
                "{% for i in (1..5) offset: 3 limit: 5 %}{{ i }},{% endfor %}",
                "4,5,",
            ),
            ("{% for i in (3..1) %}x{% else %}empty{% endfor %}", "empty"),
            ("{% for i in (-2..0) %}{{ i }}{% endfor %}", "-2-10"),
            (
                "{% for i in (1..3) %}{{ forloop.index }}{{ forloop.first }}{{ forloop.rindex0 }}{{ forloop.length }}{% if forloop.last %}L{% endif %}|{% endfor %}",
                "1true23|2false13|3false03L|",
            ),
            (
                "{% for a in (1..2) %}{% for b in (1..2) %}{{ forloop.parentloop.index }}{{ b }} {% endfor %}{% endfor %}",
                "11 12 21 22 ",
            ),
            (
                "{% for i in (1..10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}",
                "13",
            ),
            (
                "{% for i in Variables.Items reversed %}{{ i }}{% endfor %}",
                "321",
            ),
            (
                "{% for i in Variables.Items limit: 2 %}{{ i }}{% endfor %}",
                "12",
            ),
            (
                "{% for pair in Variables.Order %}{{ pair[0] }}={{ pair[1] }}{% endfor %}",
                "Id=7",
            ),
            (
                "{% tablerow i in (1..3) cols: 2 %}{{ i }}{{ tablerow.col_last }}{% endtablerow %}",
                "<tr class=\"row1\"><td class=\"col1\">1false</td><td class=\"col2\">2true</td></tr>\
                 <tr class=\"row2\"><td class=\"col1\">3true</td></tr>",
            ),
            (
                "{% capture c %}a{{ 1 | plus: 1 }}{% endcapture %}{{ c }}",
                "a2",
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(render(source), expected, "{source}");
        }
    }
}
