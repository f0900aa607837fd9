//! Every filter runs wrapped: its result must stay within the render's value limit
//! (`limits.rs`), so no chain of filters builds a huge value before an `assign` could refuse it
//! (`split` into a million items, then `sort`...). Most filters' results are at most a small
//! multiple of their input and arguments, so checking after they ran is enough; `replace` and
//! `join` multiply (every occurrence, or every gap between items, gets a whole argument), so
//! their result's size is worked out and checked before they run.

use super::limits::{self, Breach};
use liquid_core::parser::FilterArguments;
use liquid_core::{Expression, Filter, FilterReflection, ParseFilter, Result, Runtime};
use liquid_core::{Value, ValueView};
use std::fmt;

/// A filter whose results are checked against the value limit.
#[derive(Clone)]
pub(super) struct Bounded(Box<dyn ParseFilter>);

impl Bounded {
    pub fn new(filter: impl Into<Box<dyn ParseFilter>>) -> Self {
        Self(filter.into())
    }
}

impl ParseFilter for Bounded {
    fn parse(&self, arguments: FilterArguments<'_>) -> Result<Box<dyn Filter>> {
        let positional: Vec<Expression> = arguments.positional.collect();
        let growth = Growth::of(self.0.reflection().name(), &positional);
        let inner = self.0.parse(FilterArguments {
            positional: Box::new(positional.into_iter()),
            keyword: arguments.keyword,
        })?;
        Ok(Box::new(BoundedFilter { inner, growth }))
    }

    fn reflection(&self) -> &dyn FilterReflection {
        self.0.reflection()
    }
}

#[derive(Debug)]
struct BoundedFilter {
    inner: Box<dyn Filter>,
    growth: Growth,
}

impl fmt::Display for BoundedFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl Filter for BoundedFilter {
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> Result<Value> {
        let limit = limits::value_limit(runtime);
        if self.growth.result_size(input, runtime)? > limit {
            return Err(limits::fail(runtime, Breach::Value(limit)));
        }
        let value = self.inner.evaluate(input, runtime)?;
        limits::check_value(runtime, &value)?;
        Ok(value)
    }
}

/// How much larger than its input and arguments a filter's result can be.
#[derive(Debug)]
enum Growth {
    /// A small multiple at most.
    Linear,
    /// `replace: search, replacement`.
    Replace {
        search: Expression,
        replacement: Option<Expression>,
    },
    /// `join: separator` (a space by default).
    Join { separator: Option<Expression> },
}

impl Growth {
    fn of(name: &str, positional: &[Expression]) -> Self {
        match (name, positional) {
            ("replace", [search, rest @ ..]) => Self::Replace {
                search: search.clone(),
                replacement: rest.first().cloned(),
            },
            ("join", arguments) => Self::Join {
                separator: arguments.first().cloned(),
            },
            _ => Self::Linear,
        }
    }

    /// An upper bound of the result's size in bytes, worked out before the filter runs
    /// (zero when the result is only checked afterwards).
    fn result_size(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> Result<usize> {
        match self {
            Self::Linear => Ok(0),
            Self::Replace {
                search,
                replacement,
            } => {
                let text = input.to_kstr();
                let search = search.evaluate(runtime)?.to_kstr().into_owned();
                let replacement_len = match replacement {
                    Some(replacement) => replacement.evaluate(runtime)?.to_kstr().len(),
                    None => 0,
                };
                // An empty search text matches between every two characters and at both ends.
                let occurrences = if search.is_empty() {
                    text.chars().count() + 1
                } else {
                    text.matches(search.as_str()).count()
                };
                Ok(text
                    .len()
                    .saturating_add(occurrences.saturating_mul(replacement_len)))
            }
            Self::Join { separator } => {
                let Some(items) = input.as_array() else {
                    return Ok(0);
                };
                let separator_len = match separator {
                    Some(separator) => separator.evaluate(runtime)?.to_kstr().len(),
                    None => 1,
                };
                let text: usize = items
                    .values()
                    .map(|item| item.to_kstr().len())
                    .fold(0, usize::saturating_add);
                let gaps = usize::try_from(items.size()).unwrap_or(0).saturating_sub(1);
                Ok(text.saturating_add(gaps.saturating_mul(separator_len)))
            }
        }
    }
}
