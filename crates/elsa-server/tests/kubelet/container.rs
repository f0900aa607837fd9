//! A container as the kubelet resolves it from its pod template: the command line (image
//! ENTRYPOINT/CMD unless the manifest overrides them), the environment (service links, then
//! `envFrom`, then `env` in order, `$(VAR)` expanded against what is defined before it, values
//! from Secrets, ConfigMaps and the downward API), volumes, working directory, user, probes.

use super::image::Image;
use super::manifests::Manifests;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a pod's containers share: its name and the overlay they come from.
pub struct PodContext<'a> {
    pub manifests: &'a Manifests,
    pub image: &'a Image,
    pub pod_name: &'a str,
    /// Service link variables (`POSTGRES_SERVICE_HOST`, ...), used unless the pod disables
    /// them with `enableServiceLinks: false`.
    pub service_env: &'a [(String, String)],
}

#[derive(Debug, Clone)]
pub struct Probe {
    pub path: String,
    /// The container port it targets.
    pub port: u16,
    pub initial_delay_seconds: u64,
    pub period_seconds: u64,
    pub timeout_seconds: u64,
    pub failure_threshold: u32,
}

/// A file or directory of the host mounted into the container.
#[derive(Debug, Clone)]
pub struct Mount {
    pub source: PathBuf,
    pub target: String,
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct Container {
    pub name: String,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub working_dir: String,
    pub uid: u32,
    pub gid: u32,
    pub read_only_root: bool,
    pub mounts: Vec<Mount>,
    pub ports: BTreeMap<String, u16>,
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
}

impl Container {
    /// Resolves `spec` (one entry of a pod's `containers` or `initContainers`); volume contents
    /// are written under `volumes_dir`.
    pub fn resolve(pod: &Value, spec: &Value, cx: &PodContext, volumes_dir: &Path) -> Container {
        let env = environment(pod, spec, cx);
        let defined: BTreeMap<&str, &str> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let strings = |value: &Value| -> Option<Vec<String>> {
            value.as_array().map(|items| {
                items
                    .iter()
                    .map(|item| expand(item.as_str().expect("a string"), &defined))
                    .collect()
            })
        };
        // Kubernetes' rule: `command` replaces ENTRYPOINT and drops CMD; `args` replaces CMD.
        let (command, args) = match (strings(&spec["command"]), strings(&spec["args"])) {
            (Some(command), args) => (command, args.unwrap_or_default()),
            (None, Some(args)) => (cx.image.entrypoint.clone(), args),
            (None, None) => (cx.image.entrypoint.clone(), cx.image.cmd.clone()),
        };
        let argv = [command, args].concat();

        // The image's variables, overridden by the container's.
        let mut process_env: Vec<(String, String)> = cx
            .image
            .env
            .iter()
            .filter(|(k, _)| !env.iter().any(|(name, _)| name == k))
            .cloned()
            .collect();
        process_env.extend(env.iter().cloned());

        let security = |field: &str| {
            let own = &spec["securityContext"][field];
            if own.is_null() {
                pod["spec"]["securityContext"][field].clone()
            } else {
                own.clone()
            }
        };
        let uid = security("runAsUser")
            .as_u64()
            .map(|u| u as u32)
            .or(cx.image.user)
            .unwrap_or(0);
        if security("runAsNonRoot") == true {
            assert_ne!(
                uid, 0,
                "runAsNonRoot with a root user: the kubelet refuses to start it"
            );
        }
        let gid = security("runAsGroup").as_u64().map_or(uid, |g| g as u32);

        let ports = spec["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let port = p["containerPort"].as_u64().expect("containerPort") as u16;
                (p["name"].as_str().unwrap_or_default().to_owned(), port)
            })
            .collect::<BTreeMap<_, _>>();
        let probe = |field: &str| probe(&spec[field], &ports);

        Container {
            name: spec["name"].as_str().expect("a container name").to_owned(),
            argv,
            env: process_env,
            working_dir: spec["workingDir"]
                .as_str()
                .map_or_else(|| cx.image.workdir.clone(), str::to_owned),
            uid,
            gid,
            read_only_root: spec["securityContext"]["readOnlyRootFilesystem"] == true,
            mounts: mounts(pod, spec, cx.manifests, volumes_dir, (uid, gid)),
            liveness: probe("livenessProbe"),
            readiness: probe("readinessProbe"),
            ports,
        }
    }
}

/// The container's variables in the kubelet's order and with its expansion rules.
fn environment(pod: &Value, spec: &Value, cx: &PodContext) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    let set = |env: &mut Vec<(String, String)>, name: &str, value: String| {
        env.retain(|(k, _)| k != name);
        env.push((name.to_owned(), value));
    };
    for source in spec["envFrom"].as_array().into_iter().flatten() {
        let prefix = source["prefix"].as_str().unwrap_or_default();
        let entries = match (
            source["configMapRef"]["name"].as_str(),
            source["secretRef"]["name"].as_str(),
        ) {
            (Some(name), _) => cx.manifests.entries("ConfigMap", name),
            (_, Some(name)) => cx.manifests.entries("Secret", name),
            _ => panic!("unsupported envFrom {source}"),
        };
        for (key, value) in entries {
            set(&mut env, &format!("{prefix}{key}"), value);
        }
    }
    let service_links = pod["spec"]["enableServiceLinks"] != false;
    for var in spec["env"].as_array().into_iter().flatten() {
        let name = var["name"].as_str().expect("an env name");
        let value = if let Some(text) = var["value"].as_str() {
            let mut defined: BTreeMap<&str, &str> = BTreeMap::new();
            if service_links {
                defined.extend(cx.service_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            }
            defined.extend(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            expand(text, &defined)
        } else {
            value_from(&var["valueFrom"], cx)
        };
        set(&mut env, name, value);
    }
    if service_links {
        for (key, value) in cx.service_env {
            if !env.iter().any(|(k, _)| k == key) {
                env.push((key.clone(), value.clone()));
            }
        }
    }
    env
}

fn value_from(from: &Value, cx: &PodContext) -> String {
    if let Some(secret) = from["secretKeyRef"].as_object() {
        return cx.manifests.secret(
            secret["name"].as_str().unwrap(),
            secret["key"].as_str().unwrap(),
        );
    }
    if let Some(map) = from["configMapKeyRef"].as_object() {
        return cx
            .manifests
            .config_map(map["name"].as_str().unwrap(), map["key"].as_str().unwrap());
    }
    match from["fieldRef"]["fieldPath"].as_str() {
        Some("metadata.name") => cx.pod_name.to_owned(),
        Some("metadata.namespace") => "default".to_owned(),
        Some("status.podIP" | "status.hostIP") => "127.0.0.1".to_owned(),
        Some("spec.nodeName") => "harness".to_owned(),
        _ => panic!("unsupported valueFrom {from}"),
    }
}

/// The kubelet's `$(VAR)` expansion: a defined variable is replaced, an undefined one stays as
/// written, `$$` is a literal `$`.
pub fn expand(text: &str, defined: &BTreeMap<&str, &str>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(')
            && let Some(close) = inner.find(')')
        {
            let name = &inner[..close];
            match defined.get(name) {
                Some(value) => out.push_str(value),
                None => out.push_str(&rest[at..at + close + 3]),
            }
            rest = &inner[close + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn probe(spec: &Value, ports: &BTreeMap<String, u16>) -> Option<Probe> {
    let get = spec.get("httpGet")?;
    let port = match &get["port"] {
        Value::Number(n) => n.as_u64().unwrap() as u16,
        Value::String(name) => *ports
            .get(name)
            .unwrap_or_else(|| panic!("a probe names port {name}, which the container lacks")),
        other => panic!("probe port {other}"),
    };
    let seconds = |field: &str, default: u64| spec[field].as_u64().unwrap_or(default);
    Some(Probe {
        path: get["path"].as_str().unwrap_or("/").to_owned(),
        port,
        initial_delay_seconds: seconds("initialDelaySeconds", 0),
        period_seconds: seconds("periodSeconds", 10),
        timeout_seconds: seconds("timeoutSeconds", 1),
        failure_threshold: seconds("failureThreshold", 3) as u32,
    })
}

/// The container's volume mounts, their contents written under `dir`.
fn mounts(
    pod: &Value,
    spec: &Value,
    manifests: &Manifests,
    dir: &Path,
    (uid, gid): (u32, u32),
) -> Vec<Mount> {
    let volumes = pod["spec"]["volumes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    spec["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|mount| {
            let name = mount["name"].as_str().unwrap();
            let volume = volumes
                .iter()
                .find(|v| v["name"] == name)
                .unwrap_or_else(|| panic!("volumeMount {name} has no volume"));
            let source = dir.join(name);
            let files = if let Some(map) = volume["configMap"]["name"].as_str() {
                Some(manifests.entries("ConfigMap", map))
            } else {
                volume["secret"]["secretName"]
                    .as_str()
                    .map(|secret| manifests.entries("Secret", secret))
            };
            std::fs::create_dir_all(&source).unwrap();
            // Data volumes are the container user's to write (fsGroup, in the kubelet).
            std::os::unix::fs::chown(&source, Some(uid), Some(gid)).unwrap();
            for (key, value) in files.iter().flatten() {
                std::fs::write(source.join(key), value).unwrap();
            }
            let source = match mount["subPath"].as_str() {
                Some(sub) => source.join(sub),
                None => source,
            };
            Mount {
                source,
                target: mount["mountPath"].as_str().unwrap().to_owned(),
                read_only: mount["readOnly"] == true || files.is_some(),
            }
        })
        .collect()
}
