//! A kubelet-faithful harness: runs the containers of a rendered overlay exactly as written
//! (see `container.rs` for what is resolved how, `sandbox.rs` for the filesystem and user) with
//! the static binary the image is built from, against a local PostgreSQL standing in for the
//! overlay's database Service.
//!
//! What differs from a cluster, and why: pods share the host's network, so each replica
//! listens on a port of its own (`ASPNETCORE_HTTP_PORTS`, the one variable added); Service
//! names resolve (the container's `/etc/hosts`) to loopback addresses, where a forwarder stands
//! in for kube-proxy.

pub mod container;
pub mod image;
pub mod manifests;
pub mod sandbox;

use container::{Container, PodContext, Probe};
use image::Image;
use manifests::Manifests;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

use crate::common::free_port;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The static binary the image is built from: `ELSA_STATIC_BIN` (scripts/deploy-check.sh builds
/// it for the musl target and sets it).
pub fn static_binary() -> PathBuf {
    let path = std::env::var_os("ELSA_STATIC_BIN").unwrap_or_else(|| {
        panic!(
            "ELSA_STATIC_BIN is not set: the harness runs the image's static binary; \
             `bash scripts/deploy-check.sh` builds it and runs this test (scripts/test.sh does)"
        )
    });
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "ELSA_STATIC_BIN {} is missing",
        path.display()
    );
    path
}

/// The overlay's Services, each at a loopback address of its own.
pub struct Services {
    /// (name, cluster IP, ports)
    entries: Vec<(String, String, Vec<u16>)>,
    /// The forwarders' accept loops, stopped with the overlay.
    forwarders: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Drop for Services {
    fn drop(&mut self) {
        for forwarder in self.forwarders.lock().unwrap().drain(..) {
            forwarder.abort();
        }
    }
}

impl Services {
    pub fn of(manifests: &Manifests) -> Services {
        let entries = manifests
            .all("Service")
            .enumerate()
            .map(|(i, service)| {
                let ports = service["spec"]["ports"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| p["port"].as_u64().unwrap() as u16)
                    .collect();
                (
                    service["metadata"]["name"].as_str().unwrap().to_owned(),
                    format!("127.0.0.{}", 10 + i),
                    ports,
                )
            })
            .collect();
        Services {
            entries,
            forwarders: Default::default(),
        }
    }

    /// The pod's `/etc/hosts`: each Service by its short and its cluster-local names.
    pub fn hosts(&self, pod_name: &str) -> String {
        let mut hosts = format!("127.0.0.1\tlocalhost\n127.0.0.1\t{pod_name}\n");
        for (name, ip, _) in &self.entries {
            hosts.push_str(&format!(
                "{ip}\t{name} {name}.default {name}.default.svc {name}.default.svc.cluster.local\n"
            ));
        }
        hosts
    }

    /// The variables the kubelet gives every container for each Service (unless the pod
    /// turns them off).
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = Vec::new();
        for (name, ip, ports) in &self.entries {
            let prefix = name.to_uppercase().replace('-', "_");
            let Some(first) = ports.first() else { continue };
            env.push((format!("{prefix}_SERVICE_HOST"), ip.clone()));
            env.push((format!("{prefix}_SERVICE_PORT"), first.to_string()));
            env.push((format!("{prefix}_PORT"), format!("tcp://{ip}:{first}")));
            for port in ports {
                let key = format!("{prefix}_PORT_{port}_TCP");
                env.push((key.clone(), format!("tcp://{ip}:{port}")));
                env.push((format!("{key}_PROTO"), "tcp".into()));
                env.push((format!("{key}_PORT"), port.to_string()));
                env.push((format!("{key}_ADDR"), ip.clone()));
            }
        }
        env
    }

    /// Service `name`'s cluster IP and first port.
    pub fn address(&self, name: &str) -> (String, u16) {
        let (_, ip, ports) = self
            .entries
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("the overlay has no Service {name}"));
        (ip.clone(), ports[0])
    }

    /// Forwards every port of Service `name` to `upstream` (host:port), as kube-proxy would to
    /// its endpoint.
    pub async fn forward(&self, name: &str, upstream: String) {
        let (_, ip, ports) = self
            .entries
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("the overlay has no Service {name}"));
        for port in ports {
            let listener = TcpListener::bind((ip.as_str(), *port))
                .await
                .unwrap_or_else(|e| panic!("cannot listen on {ip}:{port} for {name}: {e}"));
            let upstream = upstream.clone();
            let forwarder = tokio::spawn(async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    let upstream = upstream.clone();
                    tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(&upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                }
            });
            self.forwarders.lock().unwrap().push(forwarder);
        }
    }
}

/// One running container of a pod.
pub struct Running {
    pub pod_name: String,
    pub container: Container,
    pub child: Child,
    pub log: PathBuf,
    /// The host port the container's HTTP port is on.
    pub port: u16,
}

impl Running {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// kubelet's probe: an HTTP GET within the timeout, success for 200–399. The probe must
    /// target a port the container declares (the one it listens on: here, its own host port).
    pub async fn probe(&self, probe: &Probe) -> bool {
        assert!(
            self.container.ports.values().any(|p| *p == probe.port),
            "{} probes port {}, which the container does not declare",
            self.pod_name,
            probe.port
        );
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(probe.timeout_seconds))
            .build()
            .unwrap();
        client
            .get(self.url(&probe.path))
            .send()
            .await
            .is_ok_and(|r| (200..400).contains(&r.status().as_u16()))
    }

    /// The liveness probe as the kubelet judges it: the container is restarted after
    /// `failureThreshold` failures in a row, `periodSeconds` apart.
    pub async fn assert_live(&self) {
        let probe = self.container.liveness.clone().expect("a liveness probe");
        for _ in 0..probe.failure_threshold {
            if self.probe(&probe).await {
                return;
            }
            tokio::time::sleep(Duration::from_secs(probe.period_seconds)).await;
        }
        panic!(
            "{} would be restarted: liveness failed\n{}",
            self.pod_name,
            self.log()
        );
    }

    /// Probes readiness as the kubelet does: first after `initialDelaySeconds`, then every
    /// `periodSeconds`, until it succeeds; fails after `limit`.
    pub async fn wait_ready(&mut self, limit: Duration) {
        let probe = self.container.readiness.clone().expect("a readiness probe");
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(probe.initial_delay_seconds)).await;
        loop {
            if self.probe(&probe).await {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited with {status}:\n{}", self.pod_name, self.log());
            }
            assert!(
                started.elapsed() < limit,
                "{} not ready after {limit:?}:\n{}",
                self.pod_name,
                self.log()
            );
            tokio::time::sleep(Duration::from_secs(probe.period_seconds)).await;
        }
    }

    /// SIGTERM, as the kubelet sends when the pod is deleted.
    pub fn send_sigterm(&self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
    }

    /// SIGTERM, then what the kubelet allows: `terminationGracePeriodSeconds` until SIGKILL.
    /// Returns the exit status, how long it took and the log.
    pub async fn terminate(mut self, grace: Duration) -> (ExitStatus, Duration, String) {
        let started = Instant::now();
        self.send_sigterm();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, started.elapsed(), self.log());
            }
            if started.elapsed() > grace {
                self.child.kill().unwrap();
                panic!(
                    "{} still running after the grace period of {grace:?}:\n{}",
                    self.pod_name,
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the pods of an overlay: the static binary, the image, the rendered manifests.
pub struct Kubelet {
    pub manifests: Manifests,
    pub image: Image,
    pub services: Services,
    binary: PathBuf,
    dir: tempfile::TempDir,
}

impl Kubelet {
    pub fn new(overlay: &str) -> Kubelet {
        // The workspace's reqwest has TLS without a built-in crypto provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let manifests = Manifests::render(&repo().join("deploy/kubernetes/overlays").join(overlay));
        let services = Services::of(&manifests);
        Kubelet {
            image: Image::from_dockerfile(&repo().join("Dockerfile")),
            services,
            manifests,
            binary: static_binary(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Starts container `spec` of pod `pod` (a pod template: `{metadata, spec}`).
    fn start(&self, pod_name: &str, pod: &Value, spec: &Value) -> Running {
        let service_env = self.services.env();
        let cx = PodContext {
            manifests: &self.manifests,
            image: &self.image,
            pod_name,
            service_env: &service_env,
        };
        let pod_dir = self.dir.path().join(pod_name);
        let container = Container::resolve(pod, spec, &cx, &pod_dir.join("volumes"));
        // The one departure: a port of its own, the pods sharing the host's network.
        let port = free_port();
        let extra = [("ASPNETCORE_HTTP_PORTS".to_owned(), port.to_string())];
        let root = pod_dir.join(format!("root-{}", container.name));
        let log = pod_dir.join(format!("{}.log", container.name));
        let child = sandbox::spawn(
            &container,
            &self.binary,
            &self.services.hosts(pod_name),
            &root,
            &extra,
            &log,
        );
        Running {
            pod_name: pod_name.to_owned(),
            container,
            child,
            log,
            port,
        }
    }

    /// Runs one container to its end, as a Job's or an init container does; fails unless it
    /// exits 0 within `limit`. Returns its log.
    async fn run_to_completion(
        &self,
        pod_name: &str,
        pod: &Value,
        spec: &Value,
        limit: Duration,
    ) -> String {
        let mut running = self.start(pod_name, pod, spec);
        let started = Instant::now();
        loop {
            if let Some(status) = running.child.try_wait().unwrap() {
                let log = running.log();
                let name = &running.container.name;
                assert!(
                    status.success(),
                    "{pod_name}/{name} exited with {status}:\n{log}"
                );
                return log;
            }
            assert!(
                started.elapsed() < limit,
                "{pod_name} did not finish within {limit:?}:\n{}",
                running.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs Job `name` to completion; returns the logs of its containers.
    pub async fn run_job(&self, name: &str) -> String {
        let job = self.manifests.get("Job", name);
        let pod = &job["spec"]["template"];
        let pod_name = format!("{name}-x7k2p");
        let mut logs = String::new();
        for spec in containers(pod, "initContainers").chain(containers(pod, "containers")) {
            let limit = Duration::from_secs(120);
            logs.push_str(&self.run_to_completion(&pod_name, pod, spec, limit).await);
        }
        logs
    }

    /// Starts the Deployment's replicas (its `replicas`) all at once, as a new rollout does,
    /// each after its init containers ran to completion.
    pub async fn start_deployment(&self, name: &str) -> Vec<Running> {
        let deployment = self.manifests.get("Deployment", name);
        let replicas = deployment["spec"]["replicas"].as_u64().unwrap_or(1) as usize;
        let pod = &deployment["spec"]["template"];
        let pods = (0..replicas).map(|i| async move {
            let pod_name = format!("{name}-6f9c8d7b5-{}", POD_SUFFIXES[i % POD_SUFFIXES.len()]);
            for spec in containers(pod, "initContainers") {
                let limit = Duration::from_secs(120);
                self.run_to_completion(&pod_name, pod, spec, limit).await;
            }
            let mut running: Vec<Running> = containers(pod, "containers")
                .map(|spec| self.start(&pod_name, pod, spec))
                .collect();
            assert_eq!(running.len(), 1, "one container per elsa-server pod");
            running.remove(0)
        });
        futures_util::future::join_all(pods).await
    }

    /// The pod template's `terminationGracePeriodSeconds` (Kubernetes' default: 30).
    pub fn grace_period(&self, deployment: &str) -> Duration {
        let seconds = self.manifests.get("Deployment", deployment)["spec"]["template"]["spec"]
            ["terminationGracePeriodSeconds"]
            .as_u64()
            .unwrap_or(30);
        Duration::from_secs(seconds)
    }
}

/// Names for the replicas' pods, as a ReplicaSet makes them.
const POD_SUFFIXES: [&str; 5] = ["q4zlm", "w8rtn", "b2xkd", "h7jvc", "p3ngs"];

fn containers<'a>(pod: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> {
    pod["spec"][field].as_array().into_iter().flatten()
}
