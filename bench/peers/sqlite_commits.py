#!/usr/bin/env python3
"""Physical reference: single-row commits per second into a fresh WAL SQLite database, with
synchronous=NORMAL (elsa-rs's setting: WAL appended per commit, fsync'd only at checkpoints)
and with synchronous=FULL (WAL fsync'd on every commit).

  sqlite_commits.py DIR SECONDS   prints {"sqlite": version, "seconds": .., "NORMAL": commits/s, "FULL": ..}
DIR must be on the disk the servers' data is on.
"""
import json, os, sqlite3, sys, time

directory, seconds = sys.argv[1], float(sys.argv[2])
result = {"sqlite": sqlite3.sqlite_version, "seconds": seconds}
for mode in ("NORMAL", "FULL"):
    path = os.path.join(directory, f"commits-{mode}.db")
    db = sqlite3.connect(path, isolation_level=None)  # autocommit: BEGIN/COMMIT below are ours
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={mode}")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    n, start = 0, time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds:
        db.execute("BEGIN")
        db.execute("INSERT INTO t (v) VALUES ('a small row')")
        db.execute("COMMIT")
        n += 1
    db.close()
    result[mode] = n / elapsed
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
print(json.dumps(result))
