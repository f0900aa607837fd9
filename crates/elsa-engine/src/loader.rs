//! Loading: turns a definition's activity JSON into a [`Workflow`], validating everything that
//! can be checked before a run — activity types, JSON shapes, literals, JavaScript syntax.
//!
//! The definition root is wrapped in the implicit `Elsa.Workflow` activity (`Workflow1`) that
//! declares the definition variables. Activities without an id get `<ShortTypeName><n>`;
//! node ids are the ancestor ids joined with `:`.

use crate::activities::workflow_definition;
use crate::error::LoadError;
use crate::expressions::javascript::{self, ScriptLimits};
use crate::expressions::{Expression, ExpressionError, parse_wrapped};
use crate::json;
use crate::log_persistence::{self, ActivityLogModes, LogPersistenceMode};
use crate::registry::{ActivityDescriptor, ActivityRegistry, DefaultValue};
use crate::values::ValueType;
use crate::variables::VariableDefinition;
use crate::workflow::{
    ActivityNode, IncidentStrategy, InputBinding, NodeIdx, OutputBinding, VarIdx, Workflow,
};
use elsa_model::WorkflowDefinition;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The id of the implicit root activity.
const ROOT_ID: &str = "Workflow1";

/// Finds the workflow definitions other workflows use as activities, by type name.
pub trait ActivityResolver {
    /// The definition whose activity type is `type_name` (its name without spaces and
    /// underscores, the following letters upper-cased) at `version` — the version the parent's
    /// JSON names, `None` for the latest published. Only definitions with
    /// `options.usableAsActivity` are used.
    fn resolve(&self, type_name: &str, version: Option<i32>) -> Option<WorkflowDefinition>;
}

/// Resolves nothing: only built-in activity types load.
pub(crate) struct NoActivities;

impl ActivityResolver for NoActivities {
    fn resolve(&self, _type_name: &str, _version: Option<i32>) -> Option<WorkflowDefinition> {
        None
    }
}

pub(crate) fn load(
    registry: &ActivityRegistry,
    limits: &ScriptLimits,
    log_mode: LogPersistenceMode,
    resolver: &dyn ActivityResolver,
    definition: &WorkflowDefinition,
) -> Result<Workflow, LoadError> {
    let mut reserved_ids = HashSet::from([ROOT_ID.to_owned()]);
    collect_ids(&definition.root, &mut reserved_ids);
    let mut loader = Loader {
        registry,
        limits,
        resolver,
        expanding: vec![definition.definition_id.clone()],
        resolved: None,
        configured_log_mode: log_mode,
        workflow_log_modes: vec![log_persistence::workflow_default(
            &definition.custom_properties,
            log_mode,
            log_mode,
        )],
        nodes: Vec::new(),
        variables: Vec::new(),
        reserved_ids,
        used_ids: HashSet::new(),
        generated: HashMap::new(),
    };
    let root = Map::from_iter([
        ("id".to_owned(), Value::from(ROOT_ID)),
        ("type".to_owned(), Value::from("Elsa.Workflow")),
        ("root".to_owned(), definition.root.clone()),
        (
            "variables".to_owned(),
            Value::Array(definition.variables.clone()),
        ),
    ]);
    let root = loader.build(&Value::Object(root), None, "the workflow".to_owned())?;
    Ok(Workflow {
        definition_id: definition.definition_id.as_str().into(),
        definition_version_id: definition.id.as_str().into(),
        definition_version: definition.version,
        is_system: definition.is_system,
        nodes: loader.nodes,
        variables: loader.variables,
        input_names: declared_names(&definition.inputs),
        output_names: declared_names(&definition.outputs),
        root,
        incident_strategy: IncidentStrategy::from_type_name(json::string(
            &definition.options,
            "incidentStrategyType",
        )),
    })
}

/// Ids written in the JSON, so that generated ids never collide with a later explicit one.
fn collect_ids(json: &Value, ids: &mut HashSet<String>) {
    match json {
        Value::Object(object) => {
            if let (Some(Value::String(id)), Some(Value::String(_))) =
                (object.get("id"), object.get("type"))
            {
                ids.insert(id.clone());
            }
            object.values().for_each(|value| collect_ids(value, ids));
        }
        Value::Array(items) => items.iter().for_each(|item| collect_ids(item, ids)),
        _ => {}
    }
}

pub(crate) struct Loader<'a> {
    registry: &'a ActivityRegistry,
    limits: &'a ScriptLimits,
    resolver: &'a dyn ActivityResolver,
    /// Definitions being expanded as activities, outermost first (guards against recursion).
    expanding: Vec<String>,
    /// The definition resolved for the activity being built, for its build function.
    resolved: Option<WorkflowDefinition>,
    /// The server's log persistence mode (`Configuration` strategy, last fallback).
    configured_log_mode: LogPersistenceMode,
    /// The log persistence default of each workflow being built, innermost last: activities
    /// inside a workflow used as an activity inherit from that workflow.
    workflow_log_modes: Vec<LogPersistenceMode>,
    nodes: Vec<ActivityNode>,
    variables: Vec<VariableDefinition>,
    reserved_ids: HashSet<String>,
    used_ids: HashSet<String>,
    /// Last number generated per short type name.
    generated: HashMap<String, usize>,
}

impl Loader<'_> {
    /// Builds one activity and, through its type's build function, its children.
    /// `location` names the JSON position for errors found before the activity has an id.
    fn build(
        &mut self,
        json: &Value,
        parent_node_id: Option<&str>,
        location: String,
    ) -> Result<NodeIdx, LoadError> {
        let malformed = |reason: &str| LoadError::Malformed {
            path: location.clone(),
            reason: reason.to_owned(),
        };
        let object = json
            .as_object()
            .ok_or_else(|| malformed("an activity must be a JSON object"))?;
        let type_name = json::string(object, "type")
            .filter(|name| !name.is_empty())
            .ok_or_else(|| malformed("an activity needs a 'type'"))?;
        let id = match json::string(object, "id").filter(|id| !id.is_empty()) {
            Some(id) => id.to_owned(),
            None => self.generate_id(type_name),
        };
        let (descriptor, type_version, resolved) = match self.registry.find(type_name) {
            Some(descriptor) => (descriptor, descriptor.version, None),
            None => {
                let version = json::property(object, "version")
                    .and_then(Value::as_i64)
                    .and_then(|v| i32::try_from(v).ok());
                let definition = self
                    .resolver
                    .resolve(type_name, version)
                    .filter(|d| {
                        json::property(&d.options, "usableAsActivity") == Some(&Value::Bool(true))
                    })
                    .ok_or_else(|| LoadError::UnknownActivityType {
                        type_name: type_name.to_owned(),
                        activity_id: id.clone(),
                    })?;
                if self.expanding.contains(&definition.definition_id) {
                    return Err(LoadError::RecursiveActivity {
                        type_name: type_name.to_owned(),
                        activity_id: id,
                    });
                }
                let version = definition.version;
                (&workflow_definition::DESCRIPTOR, version, Some(definition))
            }
        };
        if !self.used_ids.insert(id.clone()) {
            return Err(LoadError::DuplicateActivityId { activity_id: id });
        }
        let node_id = parent_node_id.map_or_else(|| id.clone(), |parent| format!("{parent}:{id}"));
        let inputs = self.bind_inputs(descriptor, object, &id)?;
        let (output_bindings, declared_outputs) = match &resolved {
            Some(definition) => {
                let names = declared_names(&definition.outputs);
                (bind_declared_outputs(&names, object), names)
            }
            None => (bind_outputs(descriptor, object), Vec::new()),
        };
        self.resolved = resolved;
        let mut builder = NodeBuilder {
            loader: self,
            json: object,
            node_id,
            variables: Vec::new(),
        };
        let activity = (descriptor.build)(&mut builder)?;
        let NodeBuilder {
            node_id, variables, ..
        } = builder;
        let custom_properties =
            json::property(object, "customProperties").and_then(Value::as_object);
        let can_start_workflow = custom_properties
            .and_then(|properties| json::property(properties, "canStartWorkflow"))
            .or_else(|| json::property(object, "canStartWorkflow"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let merge_mode = custom_properties
            .and_then(|properties| json::string(properties, "mergeMode"))
            .map(str::to_owned);
        let log_modes = ActivityLogModes::resolve(
            custom_properties,
            self.workflow_log_mode(),
            self.configured_log_mode,
        );
        self.nodes.push(ActivityNode {
            id: id.into(),
            node_id: node_id.into(),
            type_name: if std::ptr::eq(descriptor, &workflow_definition::DESCRIPTOR) {
                type_name.into()
            } else {
                descriptor.type_name.into()
            },
            type_version,
            name: json::string(object, "name").map(Arc::from),
            descriptor,
            can_start_workflow,
            merge_mode,
            log_modes,
            inputs,
            output_bindings,
            declared_outputs,
            variables,
            activity,
        });
        Ok(NodeIdx(self.nodes.len() - 1))
    }

    fn workflow_log_mode(&self) -> LogPersistenceMode {
        self.workflow_log_modes
            .last()
            .copied()
            .unwrap_or(self.configured_log_mode)
    }

    fn generate_id(&mut self, type_name: &str) -> String {
        let short = type_name.rsplit('.').next().unwrap_or(type_name);
        let counter = self.generated.entry(short.to_owned()).or_default();
        loop {
            *counter += 1;
            let id = format!("{short}{counter}");
            if !self.reserved_ids.contains(&id) && !self.used_ids.contains(&id) {
                return id;
            }
        }
    }

    /// Binds every wrapped input of the descriptor; missing ones take the descriptor default.
    fn bind_inputs(
        &self,
        descriptor: &ActivityDescriptor,
        object: &Map<String, Value>,
        activity_id: &str,
    ) -> Result<Vec<InputBinding>, LoadError> {
        let wrapped = descriptor.inputs.iter().filter(|input| input.is_wrapped);
        wrapped
            .map(|input| {
                let value_type = ValueType::from_alias(input.type_name);
                let parsed = match json::property(object, input.name) {
                    Some(json) => {
                        parse_wrapped(json, &value_type, self.limits).map_err(|error| {
                            input_error(error, activity_id, input.name, input.type_name)
                        })?
                    }
                    None => None,
                };
                let expression = parsed.unwrap_or_else(|| {
                    Expression::Literal(input.default.map_or(Value::Null, DefaultValue::to_json))
                });
                Ok(InputBinding {
                    name: input.name,
                    value_type,
                    expression,
                })
            })
            .collect()
    }
}

/// Outputs whose property names a variable through `memoryReference.id`. Other references
/// (Studio writes some for unbound outputs) match no variable and are ignored when written.
fn bind_outputs(
    descriptor: &ActivityDescriptor,
    object: &Map<String, Value>,
) -> Vec<OutputBinding> {
    descriptor
        .outputs
        .iter()
        .filter_map(|output| {
            let property = json::property(object, output.name)?.as_object()?;
            let reference = json::property(property, "memoryReference")?.as_object()?;
            let variable_id = json::string(reference, "id").filter(|id| !id.is_empty())?;
            Some(OutputBinding {
                output: output.name.into(),
                variable_id: variable_id.to_owned(),
            })
        })
        .collect()
}

/// The names of declared workflow inputs or outputs.
fn declared_names(declared: &[Value]) -> Vec<String> {
    declared
        .iter()
        .filter_map(|item| item.as_object().and_then(|item| json::string(item, "name")))
        .map(str::to_owned)
        .collect()
}

/// Bindings of a workflow-as-activity's declared outputs (`"output1": {"memoryReference":
/// ..}` for output `Output1`).
fn bind_declared_outputs(names: &[String], object: &Map<String, Value>) -> Vec<OutputBinding> {
    names
        .iter()
        .filter_map(|name| {
            let property = json::property(object, name)?.as_object()?;
            let reference = json::property(property, "memoryReference")?.as_object()?;
            let variable_id = json::string(reference, "id").filter(|id| !id.is_empty())?;
            Some(OutputBinding {
                output: name.clone().into(),
                variable_id: variable_id.to_owned(),
            })
        })
        .collect()
}

fn input_error(
    error: ExpressionError,
    activity_id: &str,
    input: &str,
    type_name: &str,
) -> LoadError {
    let activity_id = activity_id.to_owned();
    let input = input.to_owned();
    match error {
        ExpressionError::InvalidLiteral(reason) => LoadError::InvalidLiteral {
            activity_id,
            input,
            type_name: type_name.to_owned(),
            reason,
        },
        ExpressionError::Syntax(message) => LoadError::ScriptSyntax {
            activity_id,
            input,
            message,
        },
        ExpressionError::Malformed(reason) => LoadError::Malformed {
            path: format!("input '{input}' of activity '{activity_id}'"),
            reason,
        },
    }
}

/// What an activity type's build function sees: its JSON, and ways to build its children and
/// declare its variables.
pub(crate) struct NodeBuilder<'l, 'a> {
    loader: &'l mut Loader<'a>,
    json: &'l Map<String, Value>,
    node_id: String,
    variables: Vec<VarIdx>,
}

impl<'l> NodeBuilder<'l, '_> {
    /// A property of the activity JSON (case-insensitive; `null` counts as absent).
    pub fn property(&self, name: &str) -> Option<&'l Value> {
        json::non_null(self.json, name)
    }

    /// An activity built earlier (e.g. a child).
    pub fn node(&self, idx: NodeIdx) -> &ActivityNode {
        &self.loader.nodes[idx.0]
    }

    /// The embedded activity in property `name`, if any.
    pub fn child(&mut self, name: &str) -> Result<Option<NodeIdx>, LoadError> {
        let Some(json) = self.property(name) else {
            return Ok(None);
        };
        let location = format!("{}.{name}", self.node_id);
        self.loader
            .build(json, Some(&self.node_id), location)
            .map(Some)
    }

    /// Builds an activity embedded somewhere else in this activity's JSON (a switch case's).
    pub fn child_at(&mut self, json: &Value, path: &str) -> Result<NodeIdx, LoadError> {
        let location = format!("{}.{path}", self.node_id);
        self.loader.build(json, Some(&self.node_id), location)
    }

    /// The activities in array property `name`, in order.
    pub fn children(&mut self, name: &str) -> Result<Vec<NodeIdx>, LoadError> {
        let Some(json) = self.property(name) else {
            return Ok(Vec::new());
        };
        let items = json::array(json)
            .ok_or_else(|| self.malformed(format!("'{name}' must be an array")))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let location = format!("{}.{name}[{i}]", self.node_id);
                self.loader.build(item, Some(&self.node_id), location)
            })
            .collect()
    }

    /// Declares the variables listed in array property `name` in this activity's scope.
    pub fn declare_variables(&mut self, name: &str) -> Result<(), LoadError> {
        let Some(json) = self.property(name) else {
            return Ok(());
        };
        let items = json::array(json)
            .ok_or_else(|| self.malformed(format!("'{name}' must be an array")))?;
        for (i, item) in items.iter().enumerate() {
            let variable =
                VariableDefinition::parse(item).map_err(|reason| LoadError::Malformed {
                    path: format!("{}.{name}[{i}]", self.node_id),
                    reason,
                })?;
            self.loader.variables.push(variable);
            self.variables.push(VarIdx(self.loader.variables.len() - 1));
        }
        Ok(())
    }

    /// The definition of a workflow used as this activity (taken once, by its build function).
    pub fn take_resolved_definition(&mut self) -> Option<WorkflowDefinition> {
        self.loader.resolved.take()
    }

    /// Builds the root of a workflow used as this activity. Its activity ids are its own:
    /// they may repeat ids of the workflow using it.
    pub fn composite_root(
        &mut self,
        definition: &WorkflowDefinition,
    ) -> Result<Option<NodeIdx>, LoadError> {
        if definition.root.is_null() {
            return Ok(None);
        }
        let mut reserved_ids = HashSet::new();
        collect_ids(&definition.root, &mut reserved_ids);
        let saved = (
            std::mem::replace(&mut self.loader.reserved_ids, reserved_ids),
            std::mem::take(&mut self.loader.used_ids),
            std::mem::take(&mut self.loader.generated),
        );
        self.loader.expanding.push(definition.definition_id.clone());
        let log_mode = log_persistence::workflow_default(
            &definition.custom_properties,
            self.loader.workflow_log_mode(),
            self.loader.configured_log_mode,
        );
        self.loader.workflow_log_modes.push(log_mode);
        let location = format!("{}.root", self.node_id);
        let root = self
            .loader
            .build(&definition.root, Some(&self.node_id), location);
        self.loader.workflow_log_modes.pop();
        self.loader.expanding.pop();
        (
            self.loader.reserved_ids,
            self.loader.used_ids,
            self.loader.generated,
        ) = saved;
        root.map(Some)
    }

    /// Declares the variables of a workflow used as this activity in this activity's scope.
    pub fn declare_variables_of(&mut self, variables: &[Value]) -> Result<(), LoadError> {
        for (i, item) in variables.iter().enumerate() {
            let variable =
                VariableDefinition::parse(item).map_err(|reason| LoadError::Malformed {
                    path: format!("{}.variables[{i}]", self.node_id),
                    reason,
                })?;
            self.loader.variables.push(variable);
            self.variables.push(VarIdx(self.loader.variables.len() - 1));
        }
        Ok(())
    }

    /// Declares a variable this activity gives each execution of its body (`CurrentValue` of a
    /// loop): known to the workflow, but declared in the body's context, not this one.
    pub fn iteration_variable(&mut self, name: &str) -> VarIdx {
        self.loader.variables.push(VariableDefinition::iteration(
            format!("{}:{name}", self.node_id),
            name,
        ));
        VarIdx(self.loader.variables.len() - 1)
    }

    /// Parses an expression the activity holds in a raw property (a switch case's condition):
    /// `{"type","value"}` or a wrapped input. `None` when unset.
    pub fn expression(
        &self,
        json: &Value,
        (value_type, type_name): (&ValueType, &str),
        what: &str,
    ) -> Result<Option<Expression>, LoadError> {
        let wrapped = match json {
            Value::Object(object) if json::property(object, "expression").is_none() => {
                Value::Object(Map::from_iter([("expression".to_owned(), json.clone())]))
            }
            other => other.clone(),
        };
        parse_wrapped(&wrapped, value_type, self.loader.limits)
            .map_err(|error| input_error(error, &self.node_id, what, type_name))
    }

    /// Checks that a script compiles (activities that run script text they hold raw).
    pub fn check_script(&self, source: &str, what: &str) -> Result<(), LoadError> {
        javascript::check_syntax(source, self.loader.limits).map_err(|message| {
            LoadError::ScriptSyntax {
                activity_id: self.node_id.clone(),
                input: what.to_owned(),
                message,
            }
        })
    }

    /// An error about this activity's JSON.
    pub fn malformed(&self, reason: impl Into<String>) -> LoadError {
        LoadError::Malformed {
            path: self.node_id.clone(),
            reason: reason.into(),
        }
    }
}
