#!/usr/bin/env python3
"""Benchmarks of the durable runtime (issue 8), against a release binary on loopback.

  python3 bench/durable.py BINARY sqlite|postgres [timers|lateness|resumes|dispatch ...]

  timers    100,000 instances waiting on a one-hour Delay; SIGTERM; start-to-ready of the
            restarted node (every pending timer stays in the database) and its idle RSS.
  lateness  timers due at RATE per second (default 1,000) for 30 s: how late each fires,
            p50/p99 (fire = the activity after the timer starts; due = the work row's due time).
  resumes   10,000 instances waiting on an event, each resumed by its own synchronous
            `POST /events/Go/trigger` from 32 keep-alive clients: resumes per second.
  dispatch  `POST .../dispatch` at concurrency 32 for 10 s (wrk): acknowledged per second,
            and how fast the worker ran them all to their end.

Each benchmark runs on a fresh database (PostgreSQL: a new database on TEST_DATABASE_URL).
Needs wrk (apt-get install wrk) and, for PostgreSQL, psql.
"""
import http.client, json, os, signal, socket, sqlite3, statistics, subprocess, sys, tempfile
import threading, time, datetime

KEY = "bench-api-key-0123456789abcdefghijklmnop"
SIGNING_KEY = "bench-signing-key-0123456789abcdefghijklmnop"
BIN = os.path.abspath(sys.argv[1])
BACKEND = sys.argv[2]
# SCALE=0.05 runs every benchmark at a twentieth of its size (a trial of the script).
SCALE = float(os.environ.get("SCALE", "1"))
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    return port


def lit(type_name, value):
    return {"typeName": type_name, "expression": {"type": "Literal", "value": value}}


def sequence(*activities):
    return {"id": "Seq", "type": "Elsa.Sequence", "activities": list(activities)}


def write_line(id_):
    return {"id": id_, "type": "Elsa.WriteLine", "text": lit("String", id_)}


class Database:
    """A fresh database of the backend, and plain SQL against it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="elsa-bench-")
        self.env = {}
        if BACKEND == "postgres":
            admin = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
            self.name = f"elsa_bench_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
            subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {self.name}"], check=True)
            self.url = admin.rsplit("/", 1)[0] + "/" + self.name
            self.admin = admin
            self.env = {"ConnectionStrings__PostgreSql": self.url}

    def rows(self, sql):
        if BACKEND == "postgres":
            out = subprocess.run(["psql", self.url, "-At", "-F", "\t", "-c", sql],
                                 check=True, capture_output=True, text=True).stdout
            return [line.split("\t") for line in out.splitlines() if line]
        db = sqlite3.connect(f"file:{self.dir}/data/elsa.db?mode=ro", uri=True, timeout=30)
        try:
            return [[str(v) for v in row] for row in db.execute(sql)]
        finally:
            db.close()

    def execute(self, sql, params=()):
        if BACKEND == "postgres":
            # On stdin: a statement with thousands of values is longer than a command line.
            subprocess.run(["psql", self.url, "-q", "-v", "ON_ERROR_STOP=1"], input=sql,
                           text=True, check=True)
            return
        db = sqlite3.connect(f"{self.dir}/data/elsa.db", timeout=30)
        db.executemany(sql, params) if params else db.execute(sql)
        db.commit()
        db.close()

    def count(self, where):
        return int(self.rows(f"SELECT COUNT(*) FROM {where}")[0][0])

    def drop(self):
        if BACKEND == "postgres":
            subprocess.run(["psql", self.admin, "-qc", f"DROP DATABASE {self.name} WITH (FORCE)"], check=True)


class Server:
    def __init__(self, db, **env):
        self.db, self.port = db, free_port()
        full = {"PATH": os.environ["PATH"], "ASPNETCORE_URLS": f"http://127.0.0.1:{self.port}",
                "Elsa__Identity__ApiKey": KEY, "Elsa__Identity__Tokens__SigningKey": SIGNING_KEY,
                "Elsa__AutoMigrate": "true", "Elsa__Runtime__NodeId": "bench", "RUST_LOG": "warn"}
        full.update(db.env)
        full.update(env)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([BIN], cwd=db.dir, env=full, stdout=subprocess.DEVNULL,
                                     stderr=open(f"{db.dir}/server.log", "a"))
        while not self.ready():
            if self.proc.poll() is not None:
                sys.exit(f"the server exited: see {db.dir}/server.log")
            time.sleep(0.002)
        self.ready_ms = (time.perf_counter() - self.started) * 1000

    def ready(self):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            c.request("GET", "/health/ready"); ok = c.getresponse().status == 200; c.close()
            return ok
        except OSError:
            return False

    def client(self):
        return Client(self.port)

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"


class Client:
    """One keep-alive connection."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method, path, body=None):
        headers = {"Authorization": f"ApiKey {KEY}", "Content-Type": "application/json"}
        self.conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status >= 300:
            raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]!r}")
        return json.loads(data) if data else None


def publish(server, definition_id, root):
    server.client().call("POST", "/elsa/api/workflow-definitions",
                         {"model": {"definitionId": definition_id, "name": definition_id, "root": root},
                          "publish": True})


def bulk_dispatch(server, definition_id, total):
    """Dispatches `total` instances, 1,000 per call; returns their ids."""
    client, ids = server.client(), []
    while len(ids) < total:
        n = min(1000, total - len(ids))
        ids += client.call("POST", f"/elsa/api/workflow-definitions/{definition_id}/bulk-dispatch",
                           {"count": n})["workflowInstanceIds"]
    return ids


def wait_for(what, check, timeout=1800):
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.5)


def wrk(url, script, env, concurrency=32, duration="10s"):
    out = subprocess.run(["wrk", f"-t2", f"-c{concurrency}", f"-d{duration}", "-s", script, url],
                         env={**os.environ, **env}, check=True, capture_output=True, text=True).stdout
    return next(line for line in out.splitlines() if line.startswith("RESULT"))


def bench_timers():
    db = Database()
    server = Server(db)
    publish(server, "sleeper", sequence({"id": "Wait", "type": "Elsa.Delay",
                                         "timeSpan": lit("TimeSpan", "01:00:00")}, write_line("After")))
    n = int(100_000 * SCALE)
    t0 = time.perf_counter()
    bulk_dispatch(server, "sleeper", n)
    wait_for(f"{n} timers", lambda: db.count("\"Elsa_WorkItems\" WHERE kind = 'Resume'") == n)
    created = time.perf_counter() - t0
    server.stop()
    times, rss = [], []
    for _ in range(5):
        server = Server(db)
        times.append(server.ready_ms)
        time.sleep(2)
        rss.append(server.rss_mb())
        server.stop()
    assert db.count("\"Elsa_WorkItems\" WHERE kind = 'Resume'") == n
    print(f"timers {BACKEND}: {n} pending timers created in {created:.1f} s ({n / created:.0f}/s); "
          f"start to ready after restart: median {statistics.median(times):.1f} ms "
          f"(min {min(times):.1f}, max {max(times):.1f}, 5 restarts); idle RSS {statistics.median(rss):.1f} MB")
    db.drop()


def bench_lateness():
    db = Database()
    server = Server(db)
    publish(server, "due", sequence({"id": "Wait", "type": "Elsa.Delay",
                                     "timeSpan": lit("TimeSpan", "1.00:00:00")}, write_line("After")))
    rate = int(os.environ.get("RATE", "1000"))
    n = int(rate * 30 * SCALE)
    bulk_dispatch(server, "due", n)
    wait_for("the timers", lambda: db.count("\"Elsa_WorkItems\" WHERE kind = 'Resume'") == n)
    # Re-time the timers: due 1/RATE s apart from 10 s from now.
    rows = db.rows("SELECT id, workflow_instance_id FROM \"Elsa_WorkItems\" WHERE kind = 'Resume' ORDER BY id")
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=10)
    due = {}
    updates = []
    for i, (work_id, instance_id) in enumerate(rows):
        at = start + datetime.timedelta(microseconds=i * 1_000_000 // rate)
        due[instance_id] = at
        updates.append((at.isoformat(timespec="microseconds"), work_id))
    if BACKEND == "postgres":
        values = ",".join(f"('{w}','{t}')" for t, w in updates)
        db.execute(f"UPDATE \"Elsa_WorkItems\" AS w SET due_at = v.t::timestamptz FROM (VALUES {values}) AS v(id, t) WHERE w.id = v.id")
    else:
        db.execute("UPDATE \"Elsa_WorkItems\" SET due_at = ? WHERE id = ?", updates)
    wait_for("all timers to fire", lambda: db.count(
        "\"Elsa_ActivityExecutionRecords\" WHERE activity_id = 'After'") == n, timeout=600)
    late = []
    for instance_id, started in db.rows(
            "SELECT workflow_instance_id, started_at FROM \"Elsa_ActivityExecutionRecords\" WHERE activity_id = 'After'"):
        fired = datetime.datetime.fromisoformat(started.replace(" ", "T").replace("Z", "+00:00"))
        if fired.tzinfo is None:
            fired = fired.replace(tzinfo=datetime.timezone.utc)
        late.append((fired - due[instance_id]).total_seconds() * 1000)
    late.sort()
    pct = lambda p: late[min(len(late) - 1, int(len(late) * p / 100))]
    print(f"lateness {BACKEND}: {n} timers due at {rate}/s: p50 {pct(50):.1f} ms, p99 {pct(99):.1f} ms, "
          f"max {late[-1]:.1f} ms, early {sum(1 for x in late if x < 0)}")
    server.stop()
    db.drop()


def bench_resumes():
    db = Database()
    server = Server(db)
    publish(server, "waiter", sequence({"id": "Wait", "type": "Elsa.Event", "eventName": lit("String", "Go")},
                                       write_line("After")))
    n = int(10_000 * SCALE)
    ids = bulk_dispatch(server, "waiter", n)
    wait_for("the waiting instances", lambda: db.count(
        "\"Elsa_WorkflowInstances\" WHERE sub_status = 'Suspended'") == n)
    latencies, errors = [], []

    def resume_share(share):
        client = server.client()
        for instance_id in share:
            t = time.perf_counter()
            try:
                client.call("POST", "/elsa/api/events/Go/trigger",
                            {"workflowInstanceId": instance_id, "workflowExecutionMode": "Synchronous"})
            except Exception as e:  # counted, not fatal
                errors.append(str(e))
            latencies.append((time.perf_counter() - t) * 1000)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=resume_share, args=(ids[i::32],)) for i in range(32)]
    for t in threads: t.start()
    for t in threads: t.join()
    took = time.perf_counter() - t0
    latencies.sort()
    line = (f"{n} synchronous resumes at concurrency 32 in {took:.1f} s: {n / took:.0f}/s, "
            f"p50 {latencies[len(latencies) // 2]:.1f} ms, p99 {latencies[int(len(latencies) * 0.99)]:.1f} ms, "
            f"errors {len(errors)}")
    resumed = db.count("\"Elsa_ActivityExecutionRecords\" WHERE activity_id = 'After'")
    print(f"resumes {BACKEND}: {line}; instances resumed: {resumed} of {n}")
    server.stop()
    db.drop()


def bench_dispatch():
    db = Database()
    server = Server(db)
    publish(server, "job", sequence(write_line("After")))
    t0 = time.perf_counter()
    line = wrk(server.url("/elsa/api/workflow-definitions/job/dispatch"), f"{HERE}/execute.lua",
               {"ELSA_BENCH_KEY": KEY, "ELSA_BENCH_BODY": "{}"})
    wait_for("the dispatched runs", lambda: db.count("\"Elsa_WorkItems\"") == 0)
    took = time.perf_counter() - t0
    # Counted at the end: a dispatch wrk cut off at its deadline may still have committed.
    acked = db.count("\"Elsa_WorkflowInstances\"")
    done = db.count("\"Elsa_ActivityExecutionRecords\" WHERE activity_id = 'After'")
    print(f"dispatch {BACKEND}: acknowledged {line}; {done} of {acked} ran to their end, "
          f"all done {took:.1f} s after the first dispatch ({done / took:.0f}/s end to end)")
    server.stop()
    db.drop()


BENCHES = {"timers": bench_timers, "lateness": bench_lateness, "resumes": bench_resumes,
           "dispatch": bench_dispatch}
for name in sys.argv[3:] or list(BENCHES):
    BENCHES[name]()
