//! Node ids of a stored activity tree, assigned on save as Elsa's identity graph does: each
//! activity's `nodeId` is its parent's node id, a colon and its own id, under the workflow's
//! `Workflow1`. Studio's designer keys its nodes by `nodeId` and fails on a tree without them.

use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// The node id of the workflow itself, the parent of the root activity.
const WORKFLOW_NODE_ID: &str = "Workflow1";

/// Gives every activity of `root` a `nodeId` (recomputed, so a moved activity gets its new
/// path) and an `id` when it has none (`<ShortTypeName><n>`, unique in the tree).
pub(crate) fn assign_node_ids(root: &mut Value) {
    let mut taken = HashSet::new();
    collect_ids(root, &mut taken);
    let mut ids = Generated {
        taken,
        counters: HashMap::new(),
    };
    visit(root, WORKFLOW_NODE_ID, &mut ids);
}

/// Whether a JSON object is an activity: it has a `type` and an `id` or a `version`.
/// Expressions (`{"type": "Literal", "value": ..}`) have neither.
fn is_activity(object: &Map<String, Value>) -> bool {
    object.get("type").is_some_and(Value::is_string)
        && (object.get("id").is_some_and(Value::is_string)
            || object.get("version").is_some_and(Value::is_number))
}

fn collect_ids(value: &Value, taken: &mut HashSet<String>) {
    match value {
        Value::Object(object) => {
            if is_activity(object)
                && let Some(id) = object.get("id").and_then(Value::as_str)
            {
                taken.insert(id.to_owned());
            }
            object.values().for_each(|v| collect_ids(v, taken));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_ids(v, taken)),
        _ => {}
    }
}

struct Generated {
    taken: HashSet<String>,
    counters: HashMap<String, usize>,
}

impl Generated {
    fn next(&mut self, type_name: &str) -> String {
        let short = type_name.rsplit('.').next().unwrap_or(type_name);
        let counter = self.counters.entry(short.to_owned()).or_default();
        loop {
            *counter += 1;
            let id = format!("{short}{counter}");
            if self.taken.insert(id.clone()) {
                return id;
            }
        }
    }
}

fn visit(value: &mut Value, parent: &str, ids: &mut Generated) {
    match value {
        Value::Object(object) if is_activity(object) => {
            let id = match object.get("id").and_then(Value::as_str) {
                Some(id) if !id.is_empty() => id.to_owned(),
                _ => {
                    let type_name = object["type"].as_str().unwrap_or_default().to_owned();
                    let id = ids.next(&type_name);
                    object.insert("id".into(), Value::String(id.clone()));
                    id
                }
            };
            let node_id = format!("{parent}:{id}");
            object.insert("nodeId".into(), Value::String(node_id.clone()));
            for (key, child) in object.iter_mut() {
                if key != "id" && key != "nodeId" {
                    visit(child, &node_id, ids);
                }
            }
        }
        Value::Object(object) => object.values_mut().for_each(|v| visit(v, parent, ids)),
        Value::Array(items) => items.iter_mut().for_each(|v| visit(v, parent, ids)),
        _ => {}
    }
}

/// One activity of a tree, as Elsa's workflow graph sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityNode {
    pub node_id: String,
    /// The property of the parent the activity hangs from, Pascal-cased (`Activities`, `Then`,
    /// `Body`); `Root` for the root activity.
    pub port: String,
    /// Index of the parent in the list; `None` for the root activity.
    pub parent: Option<usize>,
    pub activity: Value,
}

/// Every activity of a stored tree, parents before children, with node ids as a save assigns
/// them (trees stored as written may lack them).
pub fn activity_nodes(root: &Value) -> Vec<ActivityNode> {
    let mut root = root.clone();
    assign_node_ids(&mut root);
    let mut nodes = Vec::new();
    collect_nodes(&root, None, "Root", &mut nodes);
    nodes
}

fn collect_nodes(value: &Value, parent: Option<usize>, port: &str, out: &mut Vec<ActivityNode>) {
    match value {
        Value::Object(object) if is_activity(object) => {
            out.push(ActivityNode {
                node_id: object
                    .get("nodeId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                port: port.to_owned(),
                parent,
                activity: value.clone(),
            });
            let me = Some(out.len() - 1);
            for (key, child) in object {
                collect_nodes(child, me, &pascal(key), out);
            }
        }
        Value::Object(object) => object
            .values()
            .for_each(|v| collect_nodes(v, parent, port, out)),
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_nodes(v, parent, port, out)),
        _ => {}
    }
}

fn pascal(key: &str) -> String {
    let mut chars = key.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_activities_get_paths_and_missing_ids() {
        let mut root = json!({
            "type": "Elsa.Flowchart", "id": "Flowchart1", "version": 1, "nodeId": "stale",
            "activities": [
                {"type": "Elsa.WriteLine", "id": "WriteLine1", "version": 1,
                 "text": {"typeName": "String", "expression": {"type": "Literal", "value": "hi"}}},
                {"type": "Elsa.WriteLine", "version": 1},
                {"type": "Elsa.If", "id": "If1", "version": 1,
                 "then": {"type": "Elsa.WriteLine", "id": "Inner", "version": 1}}
            ],
            "connections": [{"source": {"activity": "WriteLine1", "port": "Done"}}]
        });
        assign_node_ids(&mut root);
        assert_eq!(root["nodeId"], "Workflow1:Flowchart1");
        assert_eq!(
            root["activities"][0]["nodeId"],
            "Workflow1:Flowchart1:WriteLine1"
        );
        assert_eq!(root["activities"][1]["id"], "WriteLine2");
        assert_eq!(
            root["activities"][1]["nodeId"],
            "Workflow1:Flowchart1:WriteLine2"
        );
        assert_eq!(
            root["activities"][2]["then"]["nodeId"],
            "Workflow1:Flowchart1:If1:Inner"
        );
        // Expressions and connections are data, not activities.
        assert!(
            root["activities"][0]["text"]["expression"]
                .get("nodeId")
                .is_none()
        );
        assert!(root["connections"][0].get("nodeId").is_none());

        let nodes = activity_nodes(&root);
        let summary: Vec<(&str, &str, Option<usize>)> = nodes
            .iter()
            .map(|n| (n.node_id.as_str(), n.port.as_str(), n.parent))
            .collect();
        assert_eq!(
            summary,
            [
                ("Workflow1:Flowchart1", "Root", None),
                ("Workflow1:Flowchart1:WriteLine1", "Activities", Some(0)),
                ("Workflow1:Flowchart1:WriteLine2", "Activities", Some(0)),
                ("Workflow1:Flowchart1:If1", "Activities", Some(0)),
                ("Workflow1:Flowchart1:If1:Inner", "Then", Some(3)),
            ]
        );
    }
}
