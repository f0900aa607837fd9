//! JavaScript expressions on QuickJS (rquickjs), sandboxed.
//!
//! QuickJS runtimes are `!Send`, so every thread that evaluates scripts owns one runtime and one
//! context in a thread-local [`ScriptHost`]; the engine stays a plain synchronous call usable from
//! any tokio worker. Each host
//! * limits memory (`set_memory_limit`) and stack size, and stops a script whose per-evaluation
//!   deadline has passed (interrupt handler) — a hostile script ends as an error, and the runtime
//!   stays usable for the next evaluation;
//! * caches compiled expressions by their text (bounded, first-in first-out).
//!
//! An expression is compiled into `function(__scope) { with (__scope) { ... } }` and bound
//! (`scope.js`) to the prototype chain of its scopes: the accessors of the `get<Name>` /
//! `set<Name>` words the text mentions (a variable's, else an activity output's or an input's,
//! decided when called), Elsa's globals (elsa-api.md §5.6), then a catch-all proxy. That chain is
//! built once per compiled text and frozen; an evaluation creates only its scope object (holding
//! the script's own bindings) and its data. The data (variables, workflow input, ids, activity
//! outputs) goes in and comes back as JavaScript values converted directly from and to JSON
//! (`convert.rs`); of the variables only those the script changed or added come back, with the
//! correlation id and the instance name.
//!
//! **Isolation.** Scripts of all workflows share a thread's realm, so once the scope machinery
//! is built the realm is frozen (`freeze.js`): no script can add a global or patch a built-in.
//! The catch-all claims undeclared names, so `x = 1` binds `x` on that evaluation's scope object
//! only; the data Elsa's globals read lives in closure variables swapped for each evaluation.
//! Differences from Jint follow: `typeof undeclaredName` throws a ReferenceError instead of
//! returning `"undefined"`, and an accessor word the text mentions is a function even when no
//! variable, output or input of that name exists (calling it throws the ReferenceError).
//!
//! **Determinism.** A script reads time and randomness from the engine, not from the machine:
//! `scope.js` replaces `Date` (`Date.now()`, `new Date()` and `Date()` give the evaluation's
//! `ScriptGlobals::now`; everything else is the standard `Date`), `performance` and
//! `Math.random` before the realm is frozen, so they are as fixed as every other built-in.
//! `Math.random()` and `newGuid()` derive their values from one id of the run's id generator,
//! drawn before the evaluation and only for texts that name `random` or `Guid` (decided once
//! per compiled text), so other scripts leave the run's id sequence as it was.
//!
//! Like Elsa's Jint evaluator, a script's result is the value of its last statement, and a
//! top-level `return` is allowed. Compiling evaluates only the wrapper; source that breaks out of
//! it runs in the same sandbox, which is no more than the script could do when evaluated.

mod convert;

use crate::clock::IdGenerator;
use convert::{ConvertError, FromJs, object_to_js, to_js};
use elsa_model::Timestamp;
use rquickjs::context::EvalOptions;
use rquickjs::convert::Coerced;
use rquickjs::function::Args;
use rquickjs::{Context, Ctx, Function, Object, Persistent, Runtime, Value as JsValue};
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Resource limits of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScriptLimits {
    pub timeout: Duration,
    pub memory_limit: usize,
    pub stack_size: usize,
    pub cache_capacity: usize,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1),
            memory_limit: 32 * 1024 * 1024,
            stack_size: 256 * 1024,
            cache_capacity: 1024,
        }
    }
}

/// Why an evaluation produced no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScriptError {
    Syntax(String),
    Timeout(Duration),
    OutOfMemory(usize),
    /// A thrown error (`ReferenceError: x is not defined`, `throw new Error(..)`, ...).
    Thrown(String),
}

impl ScriptError {
    pub fn message(&self) -> String {
        match self {
            Self::Syntax(message) | Self::Thrown(message) => message.clone(),
            Self::Timeout(limit) => {
                format!("The script did not finish within {} ms.", limit.as_millis())
            }
            Self::OutOfMemory(limit) => {
                format!("The script exceeded the memory limit of {} bytes.", limit)
            }
        }
    }
}

/// What a script can see besides its own code.
pub(crate) struct ScriptGlobals<'a> {
    /// Variables in scope by name, nearest scope first.
    pub variables: &'a Map<String, Value>,
    pub input: &'a Map<String, Value>,
    pub instance_id: &'a str,
    pub correlation_id: Option<&'a str>,
    pub instance_name: Option<&'a str>,
    pub definition_id: &'a str,
    pub definition_version_id: &'a str,
    pub definition_version: i32,
    /// Outputs of the activities that ran, by activity id and by name
    /// (`getOutputFrom`, `get<Output>From<Activity>()`).
    pub outputs: Map<String, Value>,
    /// The `Result` output of the activity that ran last (`getLastResult()`).
    pub last_result: Value,
    /// The run's id generator: a script that names `Guid` or `random` gets a fresh id from it,
    /// which `newGuid()` derives GUIDs from and `Math.random()` its numbers.
    pub ids: &'a dyn IdGenerator,
    /// The time `Date.now()`, `new Date()` and `performance.now()` give (the engine's clock).
    pub now: Timestamp,
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScriptResult {
    /// The script's value as JSON (`undefined` and functions become `null`).
    pub value: Value,
    /// The variables the script changed or added, by name, with their values afterwards.
    pub variables: Map<String, Value>,
    /// The correlation id and instance name after the evaluation (`setCorrelationId`, ...).
    pub correlation_id: Option<String>,
    pub instance_name: Option<String>,
}

/// Evaluates to the function that builds the `__scope` of one evaluation around its data.
const SCOPE_FACTORY: &str = include_str!("scope.js");

/// Freezes the realm once the factory exists.
const FREEZE_REALM: &str = include_str!("freeze.js");

/// Compiles `source` (on this thread's host, warming its cache); the error is the compiler's message.
pub(crate) fn check_syntax(source: &str, limits: &ScriptLimits) -> Result<(), String> {
    with_host(limits, |host| host.compile(source)).map_err(|error| error.message())
}

/// Evaluates `source` against `globals`.
pub(crate) fn evaluate(
    source: &str,
    globals: &ScriptGlobals<'_>,
    limits: &ScriptLimits,
) -> Result<ScriptResult, ScriptError> {
    with_host(limits, |host| host.evaluate(source, globals))
}

thread_local! {
    static HOST: RefCell<Option<ScriptHost>> = const { RefCell::new(None) };
}

fn with_host<R>(
    limits: &ScriptLimits,
    action: impl FnOnce(&mut ScriptHost) -> Result<R, ScriptError>,
) -> Result<R, ScriptError> {
    HOST.with(|cell| {
        // Scripts cannot call back into the engine, so the host is never borrowed twice.
        let mut slot = cell.try_borrow_mut().map_err(|_| {
            ScriptError::Thrown("The JavaScript engine is busy on this thread.".to_owned())
        })?;
        let host = match slot.as_mut() {
            Some(host) => host,
            None => slot.insert(ScriptHost::new()?),
        };
        host.apply(limits);
        action(host)
    })
}

/// One thread's QuickJS runtime, context and compiled-expression cache.
struct ScriptHost {
    // Declared before `context` and `runtime`: values rooted in the runtime must be freed first.
    functions: FunctionCache,
    realm: Realm,
    ids: IdStrings,
    context: Context,
    runtime: Runtime,
    deadline: Rc<Cell<Option<Instant>>>,
    interrupted: Rc<Cell<bool>>,
    limits: ScriptLimits,
}

impl ScriptHost {
    fn new() -> Result<Self, ScriptError> {
        let unavailable = |e: rquickjs::Error| {
            ScriptError::Thrown(format!("The JavaScript engine is unavailable: {e}"))
        };
        let runtime = Runtime::new().map_err(unavailable)?;
        let context = Context::full(&runtime).map_err(unavailable)?;
        let deadline = Rc::new(Cell::new(None::<Instant>));
        let interrupted = Rc::new(Cell::new(false));
        let (handler_deadline, handler_interrupted) = (deadline.clone(), interrupted.clone());
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let expired = handler_deadline
                .get()
                .is_some_and(|at| Instant::now() >= at);
            handler_interrupted.set(handler_interrupted.get() || expired);
            expired
        })));
        let realm = context.with(|ctx| Realm::new(&ctx)).map_err(unavailable)?;
        let limits = ScriptLimits::default();
        runtime.set_memory_limit(limits.memory_limit);
        runtime.set_max_stack_size(limits.stack_size);
        Ok(Self {
            functions: FunctionCache::new(limits.cache_capacity),
            realm,
            ids: IdStrings::default(),
            context,
            runtime,
            deadline,
            interrupted,
            limits,
        })
    }

    /// Engines with different options may share a thread: apply the caller's limits.
    fn apply(&mut self, limits: &ScriptLimits) {
        if self.limits.memory_limit != limits.memory_limit {
            self.runtime.set_memory_limit(limits.memory_limit);
        }
        if self.limits.stack_size != limits.stack_size {
            self.runtime.set_max_stack_size(limits.stack_size);
        }
        self.functions.capacity = limits.cache_capacity.max(1);
        self.limits = limits.clone();
    }

    fn compile(&mut self, source: &str) -> Result<(), ScriptError> {
        self.guarded(|host| {
            let Self {
                functions,
                realm,
                context,
                ..
            } = host;
            context.with(|ctx| {
                functions
                    .get_or_compile(&ctx, realm, source)
                    .map(|_| ())
                    .map_err(ScriptError::Syntax)
            })
        })
    }

    fn evaluate(
        &mut self,
        source: &str,
        globals: &ScriptGlobals<'_>,
    ) -> Result<ScriptResult, ScriptError> {
        self.guarded(|host| {
            let Self {
                functions,
                realm,
                ids,
                context,
                ..
            } = host;
            context.with(|ctx| {
                let compiled = functions
                    .get_or_compile(&ctx, realm, source)
                    .map_err(ScriptError::Syntax)?;
                run(&ctx, &compiled, realm, ids, globals).map_err(|error| match error {
                    ConvertError::Js(error) => ScriptError::Thrown(describe(&ctx, error)),
                    ConvertError::Json(error) => ScriptError::Thrown(error.to_string()),
                })
            })
        })
    }

    /// Runs `action` under the deadline and turns interruptions and allocation failures into
    /// [`ScriptError::Timeout`] and [`ScriptError::OutOfMemory`].
    fn guarded<R>(
        &mut self,
        action: impl FnOnce(&mut Self) -> Result<R, ScriptError>,
    ) -> Result<R, ScriptError> {
        self.interrupted.set(false);
        self.deadline
            .set(Some(Instant::now() + self.limits.timeout));
        let result = action(self);
        self.deadline.set(None);
        match result {
            Err(_) if self.interrupted.get() => Err(ScriptError::Timeout(self.limits.timeout)),
            Err(ScriptError::Thrown(message) | ScriptError::Syntax(message))
                if message.contains(OUT_OF_MEMORY) =>
            {
                // Whatever the script built is garbage now; collect it so the next evaluation has room.
                self.runtime.run_gc();
                Err(ScriptError::OutOfMemory(self.limits.memory_limit))
            }
            other => other,
        }
    }
}

/// What the scripts of one thread share, built once: the function that binds compiled
/// expressions to their scope (`scope.js`), and the intrinsic prototypes that tell plain objects
/// and arrays apart when converting back (`convert.rs`).
struct Realm {
    bind: Persistent<Function<'static>>,
    /// A frozen empty object.
    empty: Persistent<Object<'static>>,
    object_prototype: Persistent<Object<'static>>,
    array_prototype: Persistent<Object<'static>>,
}

impl Realm {
    /// Builds the scope machinery, then freezes the realm.
    fn new(ctx: &Ctx<'_>) -> rquickjs::Result<Self> {
        let bind = eval_function(ctx, SCOPE_FACTORY)?;
        let prototype = |name: &str| -> rquickjs::Result<Object<'_>> {
            ctx.globals().get::<_, Object>(name)?.get("prototype")
        };
        let (object_prototype, array_prototype) = (prototype("Object")?, prototype("Array")?);
        let empty = Object::new(ctx.clone())?;
        ctx.eval::<(), _>(FREEZE_REALM)?;
        ctx.globals()
            .get::<_, Object>("Object")?
            .get::<_, Function>("freeze")?
            .call::<_, ()>((empty.clone(),))?;
        Ok(Self {
            bind: Persistent::save(ctx, bind),
            empty: Persistent::save(ctx, empty),
            object_prototype: Persistent::save(ctx, object_prototype),
            array_prototype: Persistent::save(ctx, array_prototype),
        })
    }

    /// The function one evaluation of `body` (compiled from `source`) calls with its data.
    fn bind<'js>(
        &self,
        ctx: &Ctx<'js>,
        body: Function<'js>,
        source: &str,
    ) -> rquickjs::Result<Function<'js>> {
        let names = rquickjs::Array::new(ctx.clone())?;
        for (index, name) in accessor_names(source).into_iter().enumerate() {
            names.set(index, name)?;
        }
        self.bind.clone().restore(ctx)?.call((body, names))
    }
}

/// The ids passed to every evaluation.
#[derive(Clone, Copy)]
enum Id {
    Instance,
    Correlation,
    InstanceName,
    Definition,
    DefinitionVersion,
}

/// JavaScript strings of the ids the last evaluation got, reused while they stay the same: the
/// evaluations of one run share their instance and definition ids.
#[derive(Default)]
struct IdStrings {
    last: [Option<(String, Persistent<rquickjs::String<'static>>)>; 5],
}

impl IdStrings {
    fn get<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        id: Id,
        text: Option<&str>,
    ) -> rquickjs::Result<JsValue<'js>> {
        let Some(text) = text else {
            return Ok(JsValue::new_null(ctx.clone()));
        };
        let slot = &mut self.last[id as usize];
        if let Some((last, string)) = slot.as_ref()
            && last == text
        {
            return Ok(string.clone().restore(ctx)?.into_value());
        }
        let string = rquickjs::String::from_str(ctx.clone(), text)?;
        *slot = Some((text.to_owned(), Persistent::save(ctx, string.clone())));
        Ok(string.into_value())
    }
}

/// The words of `source` that may name the accessor of a variable, input or output
/// (`get<Name>`, `set<Name>`). Words in strings, comments and property names count too: an
/// accessor too many is never called.
fn accessor_names(source: &str) -> Vec<&str> {
    let mut names: Vec<&str> = source
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|word| word.len() > 3 && (word.starts_with("get") || word.starts_with("set")))
        .collect();
    // Sorted rather than checked one by one: a long script may hold many such words.
    names.sort_unstable();
    names.dedup();
    names
}

/// Calls the bound expression `compiled` with the data of `globals`; returns its value and what
/// it changed.
fn run<'js>(
    ctx: &Ctx<'js>,
    compiled: &Compiled<'js>,
    realm: &Realm,
    ids: &mut IdStrings,
    globals: &ScriptGlobals<'_>,
) -> Result<ScriptResult, ConvertError> {
    let variables = object_to_js(ctx, globals.variables)?;
    // Scripts never reach the input and output maps themselves, only their values: an empty one
    // can be the shared frozen object.
    let map = |map: &Map<String, Value>| -> rquickjs::Result<Object<'js>> {
        match map.is_empty() {
            true => realm.empty.clone().restore(ctx),
            false => object_to_js(ctx, map),
        }
    };
    let mut args = Args::new(ctx.clone(), 12);
    args.push_arg(variables.clone())?;
    args.push_arg(map(globals.input)?)?;
    args.push_arg(map(&globals.outputs)?)?;
    args.push_arg(to_js(ctx, &globals.last_result)?)?;
    args.push_arg(ids.get(ctx, Id::Instance, Some(globals.instance_id))?)?;
    args.push_arg(ids.get(ctx, Id::Correlation, globals.correlation_id)?)?;
    args.push_arg(ids.get(ctx, Id::InstanceName, globals.instance_name)?)?;
    args.push_arg(ids.get(ctx, Id::Definition, Some(globals.definition_id))?)?;
    args.push_arg(ids.get(
        ctx,
        Id::DefinitionVersion,
        Some(globals.definition_version_id),
    )?)?;
    args.push_arg(globals.definition_version)?;
    // A fresh id each time, drawn only for texts that name `Guid` or `random` (so other scripts
    // leave the run's id sequence alone), and before the script runs rather than on its first
    // `Math.random()`: a QuickJS function cannot hold the generator, which the run only borrows.
    args.push_arg(match compiled.seeded {
        true => rquickjs::String::from_str(ctx.clone(), &globals.ids.new_id())?.into_value(),
        false => JsValue::new_null(ctx.clone()),
    })?;
    // Milliseconds since the epoch, as JavaScript's dates count.
    args.push_arg(globals.now.timestamp_millis() as f64)?;
    let evaluation: rquickjs::Array = args.apply(&compiled.evaluate)?;

    let from_js = FromJs::new(
        ctx,
        realm.object_prototype.clone().restore(ctx)?,
        realm.array_prototype.clone().restore(ctx)?,
    );
    let mut changed = Map::new();
    for entry in variables.props::<String, JsValue>() {
        let (name, value) = entry?;
        if let Some(before) = globals.variables.get(&name)
            && from_js.converts_to(&value, before)?
        {
            continue;
        }
        if let Some(after) = from_js.convert(&value)? {
            changed.insert(name, after);
        }
    }
    let text = |index: usize| -> Result<Option<String>, ConvertError> {
        match from_js.convert(&evaluation.get(index)?)? {
            Some(Value::String(text)) => Ok(Some(text)),
            _ => Ok(None),
        }
    };
    Ok(ScriptResult {
        value: from_js.convert(&evaluation.get(0)?)?.unwrap_or(Value::Null),
        variables: changed,
        correlation_id: text(1)?,
        instance_name: text(2)?,
    })
}

const OUT_OF_MEMORY: &str = "InternalError: out of memory";

/// The message of a failed call: the thrown value as JavaScript prints it (`TypeError: ...`).
fn describe(ctx: &Ctx<'_>, error: rquickjs::Error) -> String {
    if !error.is_exception() {
        return error.to_string();
    }
    let thrown = ctx.catch();
    // When memory is exhausted QuickJS cannot even allocate its error object and throws `null`
    // instead (a script throwing `null` itself is reported the same way); printing can fail too.
    if thrown.is_null() {
        return OUT_OF_MEMORY.to_owned();
    }
    match thrown.get::<Coerced<String>>() {
        Ok(Coerced(text)) => text,
        Err(_) => OUT_OF_MEMORY.to_owned(),
    }
}

/// A compiled expression, bound to its accessors.
struct Compiled<'js> {
    evaluate: Function<'js>,
    /// Whether its text names `Guid` or `random`: only then does an evaluation draw an id for
    /// `newGuid()` and `Math.random()`.
    seeded: bool,
}

/// Compiled expressions by source text; evicts the oldest entry when full.
struct FunctionCache {
    capacity: usize,
    functions: HashMap<String, (Persistent<Function<'static>>, bool)>,
    order: VecDeque<String>,
}

impl FunctionCache {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            functions: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    fn get_or_compile<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        realm: &Realm,
        source: &str,
    ) -> Result<Compiled<'js>, String> {
        if let Some((function, seeded)) = self.functions.get(source) {
            let evaluate = function.clone().restore(ctx).map_err(|e| e.to_string())?;
            return Ok(Compiled {
                evaluate,
                seeded: *seeded,
            });
        }
        let function = compile(ctx, source)?;
        let function = realm
            .bind(ctx, function, source)
            .map_err(|e| describe(ctx, e))?;
        while self.functions.len() >= self.capacity {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.functions.remove(&oldest);
        }
        let seeded = source.contains("Guid") || source.contains("random");
        let entry = (Persistent::save(ctx, function.clone()), seeded);
        self.functions.insert(source.to_owned(), entry);
        self.order.push_back(source.to_owned());
        Ok(Compiled {
            evaluate: function,
            seeded,
        })
    }
}

/// Evaluates `source`, which must produce a function, in sloppy mode: like Jint, scripts are not
/// strict (and the wrappers use `with`).
fn eval_function<'js>(
    ctx: &Ctx<'js>,
    source: impl Into<Vec<u8>>,
) -> rquickjs::Result<Function<'js>> {
    let mut options = EvalOptions::default();
    options.strict = false;
    ctx.eval_with_options(source, options)
}

/// Compiles `source` into a function of `__scope` returning the script's value.
fn compile<'js>(ctx: &Ctx<'js>, source: &str) -> Result<Function<'js>, String> {
    // Most expressions are a single expression: return it directly (fastest form).
    // Compiled functions are shared by every evaluation of the same text: frozen, like the realm.
    let expression =
        format!("Object.freeze(function(__scope){{with(__scope){{return (\n{source}\n);}}}})");
    if let Ok(function) = eval_function(ctx, expression) {
        return Ok(function);
    }
    ctx.catch();
    // Statements. As a function body they may `return`; this form also validates the syntax.
    // Statements run in a function nested inside the `with`: their declarations (`var`,
    // `function`) then bind in that function, nearer than the scope, whose catch-all would
    // otherwise claim every name it does not know.
    let body = format!(
        "Object.freeze(function(__scope){{with(__scope){{return (function(){{\n{source}\n}})();}}}})"
    );
    let body = eval_function(ctx, body).map_err(|e| describe(ctx, e))?;
    // Without a top-level `return`, the value is the last statement's, which only `eval` yields.
    // A class static block accepts statements but rejects `return`: that tells the two apart
    // without running anything.
    let static_block = format!("(function(){{class __ElsaCheck{{static{{\n{source}\n}}}}}})");
    if eval_function(ctx, static_block).is_err() {
        ctx.catch();
        return Ok(body);
    }
    let literal = serde_json::to_string(source).map_err(|e| e.to_string())?;
    eval_function(
        ctx,
        format!(
            "Object.freeze(function(__scope){{with(__scope){{return (function(){{return eval({literal});}})();}}}})"
        ),
    )
    .map_err(|e| describe(ctx, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn globals<'a>(
        variables: &'a Map<String, Value>,
        input: &'a Map<String, Value>,
    ) -> ScriptGlobals<'a> {
        ScriptGlobals {
            variables,
            input,
            instance_id: "i1",
            correlation_id: Some("c1"),
            instance_name: None,
            definition_id: "d1",
            definition_version_id: "v1",
            definition_version: 3,
            outputs: Map::new(),
            last_result: Value::Null,
            ids: &SameId("00000000000000ab"),
            now: at(NOW_MS),
        }
    }

    /// Hands out the same id every time.
    struct SameId(&'static str);

    impl IdGenerator for SameId {
        fn new_id(&self) -> String {
            self.0.to_owned()
        }
    }

    /// The time of the test evaluations: 2026-01-02T03:04:05.678Z.
    const NOW_MS: i64 = 1_767_323_045_678;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_timestamp_millis(millis).unwrap()
    }

    fn eval(source: &str, variables: &Map<String, Value>) -> Result<ScriptResult, ScriptError> {
        let input = json!({"OrderId": "42"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        evaluate(
            source,
            &globals(variables, &input),
            &ScriptLimits::default(),
        )
    }

    fn value(source: &str) -> Value {
        eval(source, &Map::new()).unwrap().value
    }

    #[test]
    fn evaluates_expressions_statements_and_returns() {
        assert_eq!(value("1 + 2"), json!(3));
        assert_eq!(value("var x = 2; x * 5"), json!(10));
        assert_eq!(
            value("function f() { return 2; } let y = f(); y + 1"),
            json!(3)
        );
        assert_eq!(
            value("function g() { return 'g'; } return g();"),
            json!("g")
        );
        assert_eq!(value("return false;"), json!(false));
        assert_eq!(value("if (true) { return 'a'; } return 'b';"), json!("a"));
        assert_eq!(value("({a: [1, 'x']})"), json!({"a": [1, "x"]}));
        assert_eq!(value("undefined"), Value::Null);
        assert_eq!(
            value("getWorkflowInstanceId() + getCorrelationId()"),
            json!("i1c1")
        );
        assert_eq!(value("getOrderId() + getInput('OrderId')"), json!("4242"));
    }

    #[test]
    fn reads_and_writes_variables() {
        let variables = json!({"Counter": 1, "name": "x"})
            .as_object()
            .cloned()
            .unwrap();
        let result = eval("setCounter(getCounter() + 1); variables.name = getName() + 'y'; getVariable('Counter')", &variables)
            .unwrap();
        assert_eq!(result.value, json!(2));
        assert_eq!(
            result.variables,
            json!({"Counter": 2, "name": "xy"})
                .as_object()
                .cloned()
                .unwrap()
        );
    }

    #[test]
    fn reports_syntax_and_runtime_errors() {
        let limits = ScriptLimits::default();
        assert!(check_syntax("getCounter() > 1", &limits).is_ok());
        let syntax = check_syntax("1 +* 2", &limits).unwrap_err();
        assert!(syntax.contains("SyntaxError"), "{syntax}");
        let thrown = eval("nope()", &Map::new()).unwrap_err();
        assert!(
            matches!(&thrown, ScriptError::Thrown(m) if m.contains("ReferenceError")),
            "{thrown:?}"
        );
    }

    #[test]
    fn stops_runaway_scripts_and_stays_usable() {
        let limits = ScriptLimits {
            timeout: Duration::from_millis(100),
            ..ScriptLimits::default()
        };
        let (variables, input) = (Map::new(), Map::new());
        let globals = globals(&variables, &input);
        let started = Instant::now();
        let error = evaluate("while (true) {}", &globals, &limits).unwrap_err();
        assert_eq!(error, ScriptError::Timeout(Duration::from_millis(100)));
        assert!(started.elapsed() < Duration::from_secs(2));
        let error = evaluate(
            "const a = []; while (true) { a.push('xxxxxxxxxxxxxxxx' + a.length); }",
            &globals,
            &limits,
        )
        .unwrap_err();
        assert!(
            matches!(error, ScriptError::OutOfMemory(_) | ScriptError::Timeout(_)),
            "{error:?}"
        );
        assert_eq!(
            evaluate("1 + 1", &globals, &limits).unwrap().value,
            json!(2)
        );
        let error = evaluate("(function f() { return f(); })()", &globals, &limits).unwrap_err();
        assert!(
            matches!(&error, ScriptError::Thrown(m) if m.contains("stack")),
            "{error:?}"
        );
    }

    #[test]
    fn a_global_assigned_by_one_script_is_invisible_to_the_next() {
        let leak = "leaked = 42; globalThis.viaGlobal = 1; Array.prototype.patched = 1; \
                    Math.max = () => 0; (function () { this.viaThis = 1; })(); leaked";
        assert_eq!(
            value(leak),
            json!(42),
            "a script sees its own undeclared binding"
        );
        for probe in ["leaked", "viaGlobal", "viaThis"] {
            let error = eval(probe, &Map::new()).unwrap_err();
            assert!(
                matches!(&error, ScriptError::Thrown(m) if m.contains("ReferenceError")),
                "{probe}: {error:?}"
            );
        }
        assert_eq!(
            value("[].patched === undefined && Math.max(1, 2) === 2"),
            json!(true)
        );
    }

    #[test]
    fn dates_and_performance_give_the_evaluation_s_time() {
        assert_eq!(value("Date.now()"), json!(NOW_MS));
        assert_eq!(
            value("[new Date().toISOString(), performance.now(), performance.timeOrigin]"),
            json!(["2026-01-02T03:04:05.678Z", NOW_MS, 0])
        );
        // Called as a function, `Date` gives the time as text, and ignores its arguments.
        assert_eq!(
            value("Date() === new Date(Date.now()).toString() && Date(0) === Date()"),
            json!(true)
        );
        // Everything else about dates is standard.
        let standard = "[new Date(0).toISOString(), new Date(2020, 1, 3).getDate(),                         new Date('2021-05-06T07:08:09Z').getTime(), Date.UTC(2020, 0, 1),                         Date.parse('2020-01-01T00:00:00Z'), isNaN(new Date(undefined)),                         Date.length, Date.name, typeof Date.prototype.getTime]";
        assert_eq!(
            value(standard),
            json!([
                "1970-01-01T00:00:00.000Z",
                3,
                1_620_284_889_000_i64,
                1_577_836_800_000_i64,
                1_577_836_800_000_i64,
                true,
                7,
                "Date",
                "function"
            ])
        );
        let identity = "class Later extends Date { next() { return this.getTime() + 1; } }\n\
                        const d = new Date(), l = new Later();\n\
                        [d instanceof Date, d.constructor === Date, Object.prototype.toString.call(d),\n\
                         l instanceof Later, l instanceof Date, l.next() === Date.now() + 1]";
        assert_eq!(
            value(identity),
            json!([true, true, "[object Date]", true, true, true])
        );
        // The same compiled text sees each evaluation's own time.
        let (variables, input) = (Map::new(), Map::new());
        let later = ScriptGlobals {
            now: at(NOW_MS + 1_000),
            ..globals(&variables, &input)
        };
        let result = evaluate("Date.now()", &later, &ScriptLimits::default()).unwrap();
        assert_eq!(result.value, json!(NOW_MS + 1_000));
    }

    #[test]
    fn math_random_comes_from_the_evaluation_s_seed() {
        let (variables, input) = (Map::new(), Map::new());
        let draw = |seed: &'static str| {
            let ids = SameId(seed);
            let globals = ScriptGlobals {
                ids: &ids,
                ..globals(&variables, &input)
            };
            let source = "Array.from({length: 1000}, () => Math.random())";
            let result = evaluate(source, &globals, &ScriptLimits::default()).unwrap();
            serde_json::from_value::<Vec<f64>>(result.value).unwrap()
        };
        let first = draw("0000000000000001");
        assert_eq!(
            first,
            draw("0000000000000001"),
            "the same seed, the same numbers"
        );
        assert_ne!(
            first,
            draw("0000000000000002"),
            "another seed, other numbers"
        );
        assert_ne!(first, draw("a86a9f668817dcb6"));
        assert!(first.iter().all(|n| (0.0..1.0).contains(n)), "{first:?}");
        let mean = first.iter().sum::<f64>() / first.len() as f64;
        assert!((0.45..0.55).contains(&mean), "mean {mean}");
        let mut distinct = first.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        assert_eq!(distinct.len(), first.len());
        // Without an id (the engine draws one only for scripts that name `random`) it throws.
        let error = eval("Math['ran' + 'dom']()", &Map::new());
        assert!(
            matches!(&error, Err(ScriptError::Thrown(m)) if m.contains("No id was drawn")),
            "{error:?}"
        );
    }

    #[test]
    fn scripts_cannot_replace_the_clock_or_the_random_source() {
        let tamper = "Date.now = () => 1; Math.random = () => 0.5; performance.now = () => 2;\n\
                      Date.prototype.constructor = Object; globalThis.Date = Object;\n\
                      try { Object.defineProperty(Date, 'now', { value: () => 3 }); } catch (e) {}\n\
                      try { Object.defineProperty(Math, 'random', { value: () => 4 }); } catch (e) {}\n\
                      [Date.now(), Math.random() !== 0.5, performance.now(), new Date().constructor === Date]";
        let untouched = json!([NOW_MS, true, NOW_MS, true]);
        assert_eq!(value(tamper), untouched, "not even in the script itself");
        let probe = "[Date.now(), Math.random() !== 0.5, performance.now(), new Date().constructor === Date]";
        assert_eq!(value(probe), untouched, "nor in the next evaluation");
        // Math.random starts over in each evaluation with the same seed.
        assert_eq!(value("Math.random()"), value("Math.random()"));
    }

    #[test]
    fn offers_elsa_helpers_and_workflow_identity() {
        assert_eq!(
            value(
                "[getWorkflowDefinitionId(), getWorkflowDefinitionVersionId(), getWorkflowDefinitionVersion()]"
            ),
            json!(["d1", "v1", 3])
        );
        assert_eq!(
            value(
                "[isNullOrEmpty(''), isNullOrEmpty(' '), isNullOrWhiteSpace(' '), isNullOrWhiteSpace(null), toJson({a: 1})]"
            ),
            json!([true, false, true, true, "{\"a\":1}"])
        );
        assert_eq!(
            value(
                "[stringToBase64('héllo'), stringFromBase64('aMOpbGxv'), bytesToBase64(bytesFromString('ab')), bytesToString(bytesFromBase64('YWI='))]"
            ),
            json!(["aMOpbGxv", "héllo", "YWI=", "ab"])
        );
        assert_eq!(
            value("parseGuid('{0F8FAD5B-D9CB-469F-A165-70867728950E}')"),
            json!("0f8fad5b-d9cb-469f-a165-70867728950e")
        );
        assert_eq!(
            value("[newGuid(), newGuidString(), newShortGuid().length]"),
            json!([
                "00000000-0000-00ab-0000-000000000000",
                "00000000-0000-00ab-0000-000000000001",
                22
            ])
        );
        let result = eval(
            "setCorrelationId('c2'); setWorkflowInstanceName('n'); getCorrelationId()",
            &Map::new(),
        )
        .unwrap();
        assert_eq!(result.value, json!("c2"));
        assert_eq!(
            (
                result.correlation_id.as_deref(),
                result.instance_name.as_deref()
            ),
            (Some("c2"), Some("n"))
        );
    }
    #[test]
    fn nothing_a_script_stores_on_the_shared_scope_chain_survives() {
        // The scope's prototypes (accessors, globals, catch-all) are shared by every evaluation
        // of the same text: a script that reaches them through `this` can store nothing there.
        let probe = "remember = function () { return this; };\n\
                     var seen = [];\n\
                     for (var o = remember(); o !== null; o = Object.getPrototypeOf(o)) {\n\
                       try { seen.push(o.marker); } catch (e) { seen.push('none'); }\n\
                       try { o.marker = getN(); } catch (e) {}\n\
                       try { Object.defineProperty(o, 'marker', { value: getN() }); } catch (e) {}\n\
                     }\n\
                     return seen;";
        for n in [1, 2] {
            let variables = json!({"N": n}).as_object().cloned().unwrap();
            assert_eq!(
                eval(probe, &variables).unwrap().value,
                json!(["none", "none", "none", "none"]),
                "evaluation {n}"
            );
        }
    }

    #[test]
    fn accessors_resolve_against_each_evaluation() {
        let source = "[getOrderId(), getTotalFromcalc(), getVariable('orderId')]";
        let input = json!({"OrderId": "from input"})
            .as_object()
            .cloned()
            .unwrap();
        let outputs = json!({"calc": {"Total": 7}}).as_object().cloned().unwrap();
        let run = |variables: Value| {
            let variables = variables.as_object().cloned().unwrap();
            let globals = ScriptGlobals {
                outputs: outputs.clone(),
                ..globals(&variables, &input)
            };
            evaluate(source, &globals, &ScriptLimits::default()).map(|result| result.value)
        };
        // The same compiled text: a variable first (lower-case initial too), then the input.
        assert_eq!(
            run(json!({"orderId": "from variable"})),
            Ok(json!(["from variable", 7, "from variable"]))
        );
        assert_eq!(run(json!({})), Ok(json!(["from input", 7, null])));
        // A variable named like one of Elsa's globals wins over it; without one the global runs.
        let variables = json!({"Variable": "mine", "x": 1})
            .as_object()
            .cloned()
            .unwrap();
        assert_eq!(
            eval("getVariable()", &variables).unwrap().value,
            json!("mine")
        );
        let variables = json!({"x": 1}).as_object().cloned().unwrap();
        assert_eq!(
            eval("getVariable('x')", &variables).unwrap().value,
            json!(1)
        );
        let error = eval("getNothing()", &Map::new()).unwrap_err();
        assert!(
            matches!(&error, ScriptError::Thrown(m) if m.contains("getNothing is not defined")),
            "{error:?}"
        );
    }

    #[test]
    fn values_come_back_as_json_stringify_would_give_them() {
        assert_eq!(
            value("[new Date(0), NaN, -0, 2 ** 53, 1e21, 0.5, undefined, () => 1]"),
            json!([
                "1970-01-01T00:00:00.000Z",
                null,
                0,
                9_007_199_254_740_992_u64,
                1e21,
                0.5,
                null,
                null
            ])
        );
        assert_eq!(
            value("({a: undefined, f() {}, b: {toJSON: () => 'j'}, c: [new Number(2)]})"),
            json!({"b": "j", "c": [2]})
        );
        let error = eval("const a = {}; a.self = a; a", &Map::new()).unwrap_err();
        assert!(
            matches!(&error, ScriptError::Thrown(m) if m.contains("circular")),
            "{error:?}"
        );
        // A key that is special to JavaScript stays a plain key both ways.
        let variables = json!({"Obj": {"__proto__": {"x": 1}}})
            .as_object()
            .cloned()
            .unwrap();
        let result = eval("getObj().__proto__.x", &variables).unwrap();
        assert_eq!((result.value, result.variables), (json!(1), Map::new()));
    }

    #[test]
    fn only_changed_variables_come_back() {
        let variables = json!({"List": [1, {"a": 2}], "Same": {"k": "v"}, "N": 1})
            .as_object()
            .cloned()
            .unwrap();
        let result = eval(
            "getList()[1].a = 3; setN(getN()); setVariable('Added', true); variables.Same.k = 'v'",
            &variables,
        )
        .unwrap();
        assert_eq!(
            result.variables,
            json!({"List": [1, {"a": 3}], "Added": true})
                .as_object()
                .cloned()
                .unwrap()
        );
    }
}
