#!/usr/bin/env python3
"""Cluster throughput (issue 10): 1, 2 and 3 nodes of a release binary sharing one PostgreSQL.

  python3 bench/cluster.py BINARY [NODES ...]        (default: 1 2 3)

For each node count, on a fresh database:
  execute   the guide's inline `execute` request from 32 keep-alive wrk connections for 10 s,
            split evenly over the nodes (a Service spreading clients): requests per second;
  drain     10,000 instances bulk-dispatched through one node, run by the background workers of
            all nodes (claims with FOR UPDATE SKIP LOCKED): runs per second until the queue is
            empty, and each node's share of the claims (GET /elsa/api/cluster/nodes).

On one machine the nodes share its cores: the numbers show what coordination through
PostgreSQL costs, not how a cluster of machines scales. Needs wrk and psql.
"""
import http.client, json, os, signal, socket, subprocess, sys, tempfile, threading, time

KEY = "bench-api-key-0123456789abcdefghijklmnop"
SIGNING_KEY = "bench-signing-key-0123456789abcdefghijklmnop"
BIN = os.path.abspath(sys.argv[1])
COUNTS = [int(n) for n in sys.argv[2:]] or [1, 2, 3]
HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DRAIN = int(os.environ.get("DRAIN", "10000"))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    return port


def psql(url, sql):
    return subprocess.run(["psql", url, "-Atqc", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


class Node:
    def __init__(self, directory, url, name):
        self.port = free_port()
        env = {"PATH": os.environ["PATH"], "ASPNETCORE_URLS": f"http://127.0.0.1:{self.port}",
               "Elsa__Identity__ApiKey": KEY, "Elsa__Identity__Tokens__SigningKey": SIGNING_KEY,
               "Elsa__AutoMigrate": "true", "HOSTNAME": name, "RUST_LOG": "warn",
               "ConnectionStrings__PostgreSql": url}
        self.proc = subprocess.Popen([BIN], cwd=directory, env=env, stdout=subprocess.DEVNULL,
                                     stderr=open(f"{directory}/{name}.log", "a"))

    def ready(self):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            c.request("GET", "/health/ready"); ok = c.getresponse().status == 200; c.close()
            return ok
        except OSError:
            return False

    def call(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        c.request(method, path, json.dumps(body) if body is not None else None,
                  {"Authorization": f"ApiKey {KEY}", "Content-Type": "application/json"})
        resp = c.getresponse(); data = resp.read(); c.close()
        if resp.status >= 300:
            raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]!r}")
        return json.loads(data) if data else None

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def wrk(url, concurrency, results, i):
    out = subprocess.run(["wrk", "-t1", f"-c{concurrency}", "-d10s", "-s", f"{HERE}/execute.lua", url],
                         env={**os.environ, "ELSA_BENCH_KEY": KEY}, check=True,
                         capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT"))
    results[i] = dict(kv.split("=") for kv in line.split()[1:])


def run(count):
    name = f"elsa_cluster_{os.getpid()}_{count}"
    psql(ADMIN, f"CREATE DATABASE {name}")
    url = ADMIN.rsplit("/", 1)[0] + "/" + name
    directory = tempfile.mkdtemp(prefix="elsa-cluster-")
    nodes = [Node(directory, url, f"node-{i}") for i in range(count)]
    deadline = time.time() + 60
    while not all(n.ready() for n in nodes):
        if time.time() > deadline or any(n.proc.poll() is not None for n in nodes):
            sys.exit(f"a node did not become ready: see {directory}")
        time.sleep(0.05)

    results = [None] * count
    threads = [threading.Thread(target=wrk, args=(n.url("/elsa/api/workflow-definitions/execute"),
                                                  32 // count, results, i))
               for i, n in enumerate(nodes)]
    for t in threads: t.start()
    for t in threads: t.join()
    rps = sum(float(r["rps"]) for r in results)
    errors = sum(int(r["errors"]) for r in results)
    p99 = max(float(r["p99_ms"]) for r in results)

    nodes[0].call("POST", "/elsa/api/workflow-definitions",
                  {"model": {"definitionId": "job", "name": "job", "root": {
                      "id": "Seq", "type": "Elsa.Sequence", "activities": [{
                          "id": "After", "type": "Elsa.WriteLine",
                          "text": {"typeName": "String", "expression": {"type": "Literal", "value": "x"}}}]}},
                   "publish": True})
    # Queued as fast as one node accepts them, then drained by every node's worker.
    t0 = time.perf_counter()
    queued = 0
    while queued < DRAIN:
        n = min(1000, DRAIN - queued)
        nodes[0].call("POST", "/elsa/api/workflow-definitions/job/bulk-dispatch", {"count": n})
        queued += n
    while int(psql(url, 'SELECT COUNT(*) FROM "Elsa_WorkItems"')) > 0:
        time.sleep(0.2)
    took = time.perf_counter() - t0
    ran = int(psql(url, "SELECT COUNT(*) FROM \"Elsa_ActivityExecutionRecords\" WHERE activity_id = 'After'"))
    time.sleep(5.5)  # a heartbeat, so the figures include the drain
    listed = nodes[0].call("GET", "/elsa/api/cluster/nodes")["items"]
    claims = [n["claims"] for n in listed]
    for n in nodes: n.stop()
    psql(ADMIN, f"DROP DATABASE {name} WITH (FORCE)")
    print(f"{count} node(s): execute {rps:.0f}/s (p99 {p99:.1f} ms, {errors} errors); "
          f"drain {ran} of {DRAIN} in {took:.1f} s = {ran / took:.0f} runs/s; claims per node {claims}",
          flush=True)


for count in COUNTS:
    run(count)
