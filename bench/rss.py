#!/usr/bin/env python3
"""RSS over many runs: does the server's memory level off?

Starts the binary on a fresh SQLite directory and runs bench/peers' 10-step workflow with wrk
(concurrency 32) in 2-second rounds until RUNS workflows have completed, printing after each
round the runs so far, the RSS and the database file's size.
Usage: rss.py <path-to-elsa-server> [runs]     (needs wrk)
"""
import json, os, re, subprocess, sys, tempfile, time

from elsa_server import API_KEY, TEN_STEP, started

HERE = os.path.dirname(os.path.abspath(__file__))


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024


binary, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
with tempfile.TemporaryDirectory() as d, started(binary, d) as (p, url):
    time.sleep(2)
    db = os.path.join(d, "data", "elsa.db")
    print(f"runs=0 rss_mb={rss_mb(p.pid):.1f} db_mb={os.path.getsize(db) / 2**20:.1f}")
    load_env = dict(os.environ, BENCH_BODY=json.dumps(TEN_STEP), BENCH_AUTH=f"ApiKey {API_KEY}")
    done = 0
    while done < runs:
        out = subprocess.run(["wrk", "-t2", "-c32", "-d2s", "-s", os.path.join(HERE, "peers", "post.lua"),
                              url + "/elsa/api/workflow-definitions/execute"],
                             env=load_env, capture_output=True, text=True, check=True).stdout
        done += int(re.search(r"RESULT requests=(\d+) errors=0", out).group(1))
        print(f"runs={done} rss_mb={rss_mb(p.pid):.1f} db_mb={os.path.getsize(db) / 2**20:.1f}", flush=True)
