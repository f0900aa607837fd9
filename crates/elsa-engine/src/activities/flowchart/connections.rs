//! Flowchart connections in every JSON shape Elsa has written: `{source:{activity,port},
//! target:{activity,port}}` (any key casing), the flat `{source,target,sourcePort,targetPort}`,
//! a `{"$values":[...]}` wrapper or a single object.

use crate::json;
use serde_json::{Map, Value};

/// A connection between two activities of one flowchart (indexes into its activity list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Connection {
    pub source: usize,
    /// The outcome that follows this connection.
    pub source_port: String,
    pub target: usize,
    /// Elsa's connection id (`A:Done->B:In`), the key of the persisted visit counters.
    pub key: String,
}

/// Parses the connections; those naming an activity that is not in `ids` are dropped (Elsa keeps
/// them aside in `customProperties.notFoundConnections` and never follows them).
pub(super) fn parse(json: Option<&Value>, ids: &[String]) -> Result<Vec<Connection>, String> {
    let items: Vec<&Value> = match json {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(object)) => match json::property(object, "$values") {
            Some(Value::Array(items)) => items.iter().collect(),
            _ => vec![json.unwrap_or(&Value::Null)],
        },
        Some(_) => return Err("'connections' must be an array".to_owned()),
    };
    let mut connections = Vec::with_capacity(items.len());
    for item in items {
        let object = item
            .as_object()
            .ok_or("each connection must be a JSON object")?;
        let (source_id, source_port) = endpoint(object, "source", "sourcePort", "Done")?;
        let (target_id, target_port) = endpoint(object, "target", "targetPort", "In")?;
        let position = |id: &str| ids.iter().position(|candidate| candidate == id);
        let (Some(source), Some(target)) = (position(&source_id), position(&target_id)) else {
            continue;
        };
        connections.push(Connection {
            source,
            key: format!("{source_id}:{source_port}->{target_id}:{target_port}"),
            source_port,
            target,
        });
    }
    Ok(connections)
}

/// One end of a connection: `(activity id, port)`.
fn endpoint(
    connection: &Map<String, Value>,
    name: &str,
    flat_port: &str,
    default_port: &str,
) -> Result<(String, String), String> {
    let (id, port) = match json::non_null(connection, name) {
        Some(Value::String(id)) => (Some(id.as_str()), json::string(connection, flat_port)),
        Some(Value::Object(end)) => {
            let id = match json::property(end, "activity") {
                Some(Value::String(id)) => Some(id.as_str()),
                // Some exports embed the activity object instead of its id.
                Some(Value::Object(activity)) => json::string(activity, "id"),
                _ => None,
            };
            (id, json::string(end, "port"))
        }
        _ => (None, None),
    };
    let id = id.ok_or_else(|| format!("a connection needs a '{name}' activity id"))?;
    let port = port.filter(|port| !port.is_empty()).unwrap_or(default_port);
    Ok((id.to_owned(), port.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids() -> Vec<String> {
        vec!["A".into(), "B".into()]
    }

    #[test]
    fn accepts_every_shape() {
        let nested = json!([{"source": {"activity": "A", "port": "Done"}, "target": {"activity": "B", "port": "In"}}]);
        let pascal = json!([{"Source": {"Activity": "A", "Port": "Done"}, "Target": {"Activity": "B", "Port": "In"}}]);
        let flat =
            json!([{"source": "A", "target": "B", "sourcePort": "Done", "targetPort": "In"}]);
        let wrapped = json!({"$values": [{"source": "A", "target": "B"}]});
        let single = json!({"source": "A", "target": "B"});
        for shape in [nested, pascal, flat, wrapped, single] {
            let parsed = parse(Some(&shape), &ids()).unwrap();
            assert_eq!(parsed.len(), 1, "{shape}");
            assert_eq!((parsed[0].source, parsed[0].target), (0, 1));
            assert_eq!(parsed[0].key, "A:Done->B:In");
        }
    }

    #[test]
    fn drops_connections_to_missing_activities_and_rejects_garbage() {
        assert!(
            parse(Some(&json!([{"source": "A", "target": "Z"}])), &ids())
                .unwrap()
                .is_empty()
        );
        assert!(parse(Some(&json!([{"target": "B"}])), &ids()).is_err());
        assert!(parse(Some(&json!(3)), &ids()).is_err());
    }
}
