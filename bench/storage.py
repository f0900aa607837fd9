#!/usr/bin/env python3
"""What one durable run writes: rows and bytes per 10-step run on SQLite.

Starts the binary on a fresh SQLite directory, runs RUNS times the 10-step workflow of
bench/peers (a Sequence of ten WriteLines) through the execute endpoint, then stops the server
and reads the file: rows per table per run, stored bytes per run (the sum of every column's
length, the rows' content without B-tree overhead), the database file's size per run, and the
bytes the server process wrote to disk per run (/proc/PID/io write_bytes: WAL, checkpoints and
all).
Usage: storage.py <path-to-elsa-server> [runs]
"""
import json, os, sqlite3, sys, tempfile, time, urllib.request

from elsa_server import API_KEY, TEN_STEP, started

TABLES = ["Elsa_WorkflowInstances", "Elsa_WorkflowExecutionLogRecords",
          "Elsa_ActivityExecutionRecords", "Elsa_ActivityExecutionRecordIds", "Elsa_Bookmarks",
          "Elsa_WorkItems"]


def call(url, body=None):
    headers = {"Authorization": f"ApiKey {API_KEY}", "Content-Type": "application/json"}
    req = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()


def written(pid):
    with open(f"/proc/{pid}/io") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("write_bytes"))


binary, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000
with tempfile.TemporaryDirectory() as d:
    with started(binary, d) as (p, base):
        body = json.dumps(TEN_STEP).encode()
        status, answer = call(base + "/elsa/api/workflow-definitions/execute", body)
        assert status == 200 and json.loads(answer)["workflowState"]["subStatus"] == "Finished", answer
        db = os.path.join(d, "data", "elsa.db")
        before_file, before_io = os.path.getsize(db), written(p.pid)
        for _ in range(runs):
            call(base + "/elsa/api/workflow-definitions/execute", body)
        time.sleep(0.5)
        io = written(p.pid) - before_io
    con = sqlite3.connect(db)
    total_rows = total_bytes = 0
    print(f"{runs} runs of the 10-step workflow, {binary}")
    for table in TABLES:
        try:
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
        except sqlite3.Error:
            continue
        if not cols:
            continue
        rows = con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        size = con.execute(
            f'SELECT COALESCE(SUM({" + ".join(f"COALESCE(LENGTH(CAST({c} AS BLOB)), 0)" for c in cols)}), 0) FROM "{table}"'
        ).fetchone()[0]
        # The first run (before the count started) is in the tables too.
        total_rows += rows
        total_bytes += size
        print(f"  {table}: {rows / (runs + 1):.1f} rows/run, {size / (runs + 1):,.0f} bytes/run")
    file_size = os.path.getsize(db)
    print(f"rows_per_run={total_rows / (runs + 1):.1f} stored_bytes_per_run={total_bytes / (runs + 1):,.0f} "
          f"file_bytes_per_run={(file_size - before_file) / runs:,.0f} disk_write_bytes_per_run={io / runs:,.0f}")
