//! What one render may spend, the counterpart of the JavaScript limits: wall-clock time, loop
//! iterations, output bytes, and the size of the values it builds. The `liquid` crate has no
//! limits of its own, so the blocks, tags and filters that can spend without bound (`loops.rs`,
//! `assign.rs`, `bounded.rs`) charge a [`Budget`] kept in the render's registers, and the output
//! goes to a [`CappedBuffer`].
//!
//! The first limit broken is recorded in the budget (or the buffer): the error the crate then
//! passes up is wrapped in its traces, so `render` reports the recorded limit instead.

use liquid_core::model::{KString, ValueView};
use liquid_core::{Error, Runtime};
use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

/// Resource limits of one render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiquidLimits {
    /// Wall-clock budget of the render (checked at every loop iteration).
    pub timeout: Duration,
    /// Loop iterations (`for`, `tablerow`) of the render, all loops together.
    pub iteration_limit: usize,
    /// Bytes the template may output.
    pub output_limit: usize,
    /// Estimated bytes of any one value a filter returns or `assign`/`capture` stores.
    pub value_limit: usize,
    /// Estimated bytes of all the variables `assign`/`capture` hold at once.
    pub memory_limit: usize,
}

impl Default for LiquidLimits {
    fn default() -> Self {
        Self {
            // The JavaScript timeout's default.
            timeout: Duration::from_secs(1),
            iteration_limit: 100_000,
            output_limit: 1024 * 1024,
            value_limit: 1024 * 1024,
            memory_limit: 16 * 1024 * 1024,
        }
    }
}

/// A limit a render broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Breach {
    Timeout(Duration),
    Iterations(usize),
    Output(usize),
    Value(usize),
    Memory(usize),
}

impl Breach {
    pub fn message(self) -> String {
        match self {
            Self::Timeout(limit) => format!(
                "The Liquid template did not finish within {} ms.",
                limit.as_millis()
            ),
            Self::Iterations(limit) => {
                format!("The Liquid template exceeded the iteration limit of {limit}.")
            }
            Self::Output(limit) => format!("The Liquid template's output exceeded {limit} bytes."),
            Self::Value(limit) => {
                format!("The Liquid template built a value larger than {limit} bytes.")
            }
            Self::Memory(limit) => format!(
                "The Liquid template's variables exceeded the memory limit of {limit} bytes."
            ),
        }
    }
}

/// One render's spending, in the runtime's registers (which need `Default`: a budget that was
/// never armed has the default limits and no deadline).
#[derive(Debug, Default)]
pub(super) struct Budget {
    limits: LiquidLimits,
    deadline: Option<Instant>,
    iterations: usize,
    /// Estimated size of each variable `assign`/`capture` set, and their sum.
    assigned: HashMap<KString, usize>,
    assigned_total: usize,
    breach: Option<Breach>,
}

impl Budget {
    /// A budget whose clock starts now.
    pub fn start(limits: &LiquidLimits) -> Self {
        Self {
            limits: limits.clone(),
            deadline: Instant::now().checked_add(limits.timeout),
            ..Self::default()
        }
    }

    /// The limit broken first, if any.
    pub fn breach(&self) -> Option<Breach> {
        self.breach
    }

    fn fail(&mut self, breach: Breach) -> Error {
        let breach = *self.breach.get_or_insert(breach);
        Error::with_msg(breach.message())
    }
}

/// Records that `runtime`'s render broke `breach`; the error to return.
pub(super) fn fail(runtime: &dyn Runtime, breach: Breach) -> Error {
    runtime.registers().get_mut::<Budget>().fail(breach)
}

/// Charges one loop iteration, and checks the clock.
pub(super) fn charge_iteration(runtime: &dyn Runtime) -> Result<(), Error> {
    let mut budget = runtime.registers().get_mut::<Budget>();
    budget.iterations += 1;
    if budget.iterations > budget.limits.iteration_limit {
        let limit = budget.limits.iteration_limit;
        return Err(budget.fail(Breach::Iterations(limit)));
    }
    if budget.deadline.is_some_and(|at| Instant::now() >= at) {
        let limit = budget.limits.timeout;
        return Err(budget.fail(Breach::Timeout(limit)));
    }
    Ok(())
}

/// The largest value the render may build, in estimated bytes.
pub(super) fn value_limit(runtime: &dyn Runtime) -> usize {
    runtime.registers().get_mut::<Budget>().limits.value_limit
}

/// Checks a value the render built against the value limit; its estimated size.
pub(super) fn check_value(runtime: &dyn Runtime, value: &dyn ValueView) -> Result<usize, Error> {
    let limit = value_limit(runtime);
    let size = estimated_size(value, limit);
    if size > limit {
        return Err(fail(runtime, Breach::Value(limit)));
    }
    Ok(size)
}

/// Checks a value about to be stored in variable `name`, against the value limit and, with
/// the other variables, the memory limit.
pub(super) fn charge_variable(
    runtime: &dyn Runtime,
    name: &KString,
    value: &dyn ValueView,
) -> Result<(), Error> {
    let size = check_value(runtime, value)?;
    let mut budget = runtime.registers().get_mut::<Budget>();
    let previous = budget.assigned.insert(name.clone(), size).unwrap_or(0);
    budget.assigned_total = budget.assigned_total - previous + size;
    if budget.assigned_total > budget.limits.memory_limit {
        let limit = budget.limits.memory_limit;
        return Err(budget.fail(Breach::Memory(limit)));
    }
    Ok(())
}

/// What a value roughly occupies: its text, keys, and one `Value` per item. Stops counting
/// once past `cap`, so measuring a huge value costs no more than measuring one at the limit.
pub(super) fn estimated_size(value: &dyn ValueView, cap: usize) -> usize {
    let mut size = 0;
    accumulate(value, cap, &mut size);
    size
}

fn accumulate(value: &dyn ValueView, cap: usize, size: &mut usize) {
    *size = size.saturating_add(std::mem::size_of::<liquid_core::Value>());
    if let Some(array) = value.as_array() {
        for item in array.values() {
            if *size > cap {
                return;
            }
            accumulate(item, cap, size);
        }
    } else if let Some(object) = value.as_object() {
        for (key, item) in object.iter() {
            if *size > cap {
                return;
            }
            *size = size.saturating_add(key.len());
            accumulate(item, cap, size);
        }
    } else if let Some(scalar) = value.as_scalar() {
        *size = size.saturating_add(scalar.to_kstr().len());
    }
}

/// A render's output, refusing to grow past its limit (the whole output, or one `capture`).
#[derive(Debug)]
pub(super) struct CappedBuffer {
    bytes: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl CappedBuffer {
    pub fn new(limit: usize) -> Self {
        Self {
            bytes: Vec::new(),
            limit,
            exceeded: false,
        }
    }

    /// Whether a write was refused.
    pub fn exceeded(&self) -> bool {
        self.exceeded
    }

    pub fn into_string(self) -> String {
        // Templates only write UTF-8 (the crate relies on it too); never panic if not.
        String::from_utf8(self.bytes)
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
    }
}

impl io::Write for CappedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.limit {
            self.exceeded = true;
            return Err(io::Error::other("the Liquid output limit is reached"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::render_source;
    use super::LiquidLimits;
    use serde_json::json;
    use std::time::Duration;

    /// The default limits but for the clock: 100,000 iterations of a debug build on a busy
    /// machine can take longer than the default second, and these tests are about the others.
    fn patient() -> LiquidLimits {
        LiquidLimits {
            timeout: Duration::from_secs(60),
            ..LiquidLimits::default()
        }
    }

    fn render(source: &str) -> Result<String, String> {
        render_source(source, json!({}), &patient())
    }

    #[test]
    fn nested_huge_loops_end_at_the_iteration_limit() {
        let nested =
            "{% for a in (1..1000000) %}{% for b in (1..1000000) %}y{% endfor %}{% endfor %}";
        assert_eq!(
            render(nested).unwrap_err(),
            "The Liquid template exceeded the iteration limit of 100000."
        );
        // A loop that outputs nothing, over a range far too large to build.
        let silent = "{% for i in (1..1000000000000) %}{% assign x = i %}{% endfor %}";
        assert_eq!(
            render(silent).unwrap_err(),
            "The Liquid template exceeded the iteration limit of 100000."
        );
        let rows = "{% tablerow i in (1..1000000000000) %}{% endtablerow %}";
        let limits = LiquidLimits {
            iteration_limit: 1_000,
            ..patient()
        };
        assert_eq!(
            render_source(rows, json!({}), &limits).unwrap_err(),
            "The Liquid template exceeded the iteration limit of 1000."
        );
    }

    #[test]
    fn a_loop_that_runs_too_long_ends_at_the_time_limit() {
        let limits = LiquidLimits {
            timeout: Duration::from_millis(50),
            iteration_limit: usize::MAX,
            ..LiquidLimits::default()
        };
        let silent = "{% for i in (1..1000000000000) %}{% assign x = i %}{% endfor %}";
        assert_eq!(
            render_source(silent, json!({}), &limits).unwrap_err(),
            "The Liquid template did not finish within 50 ms."
        );
    }

    #[test]
    fn a_doubling_string_ends_at_the_value_limit() {
        let doubling = r#"{% assign x = "y" %}{% for i in (1..40) %}{% assign x = x | append: x %}{% endfor %}{{ x }}"#;
        assert_eq!(
            render(doubling).unwrap_err(),
            "The Liquid template built a value larger than 1048576 bytes."
        );
        let captured = "{% capture x %}y{% endcapture %}{% for i in (1..40) %}{% capture x %}{{ x }}{{ x }}{% endcapture %}{% endfor %}";
        assert_eq!(
            render(captured).unwrap_err(),
            "The Liquid template built a value larger than 1048576 bytes."
        );
        let array = r#"{% assign a = "y" | split: "," %}{% for i in (1..40) %}{% assign a = a | concat: a %}{% endfor %}"#;
        assert_eq!(
            render(array).unwrap_err(),
            "The Liquid template built a value larger than 1048576 bytes."
        );
    }

    #[test]
    fn multiplying_filters_are_refused_before_they_run() {
        // 2,000 characters replaced or separated by themselves: 4 MB each.
        let text = "{% capture x %}{% for i in (1..2000) %}y{% endfor %}{% endcapture %}";
        for multiply in [
            r#"{{ x | replace: "y", x }}"#,
            r#"{{ x | replace: "", x }}"#,
            r#"{{ x | split: "" | join: x }}"#,
        ] {
            assert_eq!(
                render(&format!("{text}{multiply}")).unwrap_err(),
                "The Liquid template built a value larger than 1048576 bytes.",
                "{multiply}"
            );
        }
        assert_eq!(
            render(&format!(r#"{text}{{{{ x | replace: "y", "ab" | size }}}}"#)).unwrap(),
            "4000"
        );
    }

    #[test]
    fn variables_together_end_at_the_memory_limit() {
        let limits = LiquidLimits {
            value_limit: 1_000,
            memory_limit: 3_000,
            ..patient()
        };
        let source = "{% capture a %}{% for i in (1..900) %}x{% endfor %}{% endcapture %}\
                      {% assign b = a %}{% assign b = a %}{% assign c = a %}{{ c | size }}";
        assert_eq!(render_source(source, json!({}), &limits).unwrap(), "900");
        let one_more = format!("{source}{{% assign d = a %}}");
        assert_eq!(
            render_source(&one_more, json!({}), &limits).unwrap_err(),
            "The Liquid template's variables exceeded the memory limit of 3000 bytes."
        );
    }

    #[test]
    fn huge_output_ends_at_the_output_limit() {
        let source = "{% for i in (1..50000) %}0123456789abcdefghijklmnopqrst{% endfor %}";
        assert_eq!(
            render(source).unwrap_err(),
            "The Liquid template's output exceeded 1048576 bytes."
        );
        let rows = "{% tablerow i in (1..50000) %}{% endtablerow %}";
        assert_eq!(
            render(rows).unwrap_err(),
            "The Liquid template's output exceeded 1048576 bytes."
        );
    }

    #[test]
    fn every_render_has_its_own_budget() {
        let limits = LiquidLimits {
            iteration_limit: 1_000,
            ..patient()
        };
        let render = |source: &str| render_source(source, json!({}), &limits);
        // Each render alone stays within the limits; together they would not.
        let loop_ = "{% for i in (1..600) %}{% endfor %}{% assign x = 'done' %}{{ x }}";
        for _ in 0..2 {
            assert_eq!(render(loop_).unwrap(), "done");
        }
        // Nor does a render that broke a limit leave anything behind.
        assert!(render("{% for a in (1..1000000) %}{% endfor %}").is_err());
        assert_eq!(render(loop_).unwrap(), "done");
        assert_eq!(
            render("{{ 'still' | append: ' working' }}").unwrap(),
            "still working"
        );
    }
}
