//! The rendered overlay: `kubectl kustomize` output as JSON values, and the lookups a kubelet
//! makes in it (Secrets, ConfigMaps, Services).

use base64::Engine as _;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

pub struct Manifests {
    pub objects: Vec<Value>,
}

impl Manifests {
    /// `kubectl kustomize <dir>`, with the kubectl of `scripts/tools.sh`.
    pub fn render(dir: &Path) -> Manifests {
        let out = Command::new("kubectl")
            .arg("kustomize")
            .arg(dir)
            .output()
            .unwrap_or_else(|e| {
                panic!("kubectl is needed ({e}): run `. scripts/tools.sh` (scripts/test.sh does)")
            });
        assert!(
            out.status.success(),
            "kubectl kustomize {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let yaml = String::from_utf8(out.stdout).expect("UTF-8 manifests");
        // kustomize separates the objects with `---` lines.
        let objects = yaml
            .split("\n---\n")
            .map(|doc| serde_norway::from_str::<Value>(doc).expect("valid YAML"))
            .filter(|doc| !doc.is_null())
            .collect();
        Manifests { objects }
    }

    pub fn all(&self, kind: &str) -> impl Iterator<Item = &Value> {
        self.objects.iter().filter(move |o| o["kind"] == kind)
    }

    pub fn get(&self, kind: &str, name: &str) -> &Value {
        self.find(kind, name)
            .unwrap_or_else(|| panic!("the overlay has no {kind} {name}"))
    }

    pub fn find(&self, kind: &str, name: &str) -> Option<&Value> {
        self.all(kind).find(|o| o["metadata"]["name"] == name)
    }

    /// A key of a Secret, from `stringData` or base64 `data`, as the API server merges them.
    pub fn secret(&self, name: &str, key: &str) -> String {
        let secret = self.get("Secret", name);
        if let Some(value) = secret["stringData"][key].as_str() {
            return value.to_owned();
        }
        let encoded = secret["data"][key]
            .as_str()
            .unwrap_or_else(|| panic!("Secret {name} has no key {key}"));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("Secret data is base64");
        String::from_utf8(bytes).expect("a text Secret value")
    }

    /// Every key of a Secret or ConfigMap (`data`, and `stringData` for Secrets).
    pub fn entries(&self, kind: &str, name: &str) -> Vec<(String, String)> {
        let object = self.get(kind, name);
        let mut entries = Vec::new();
        for field in ["data", "stringData"] {
            let Some(map) = object[field].as_object() else {
                continue;
            };
            for key in map.keys() {
                let value = match kind {
                    "Secret" => self.secret(name, key),
                    _ => map[key]
                        .as_str()
                        .expect("ConfigMap values are text")
                        .to_owned(),
                };
                entries.push((key.clone(), value));
            }
        }
        entries
    }

    pub fn config_map(&self, name: &str, key: &str) -> String {
        self.get("ConfigMap", name)["data"][key]
            .as_str()
            .unwrap_or_else(|| panic!("ConfigMap {name} has no key {key}"))
            .to_owned()
    }
}
