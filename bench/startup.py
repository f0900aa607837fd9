#!/usr/bin/env python3
"""Start-to-ready time and idle RSS of elsa-server on SQLite.

Starts the binary N times in fresh directories, measures the time from spawn until
/health/ready answers 200 (polling every 2 ms), then after 2 s idle reads VmRSS.
Usage: startup.py <path-to-elsa-server> [runs]
"""
import os, subprocess, sys, tempfile, time, urllib.request, statistics, socket

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def ready(url):
    try:
        return urllib.request.urlopen(url, timeout=0.5).status == 200
    except Exception:
        return False

binary, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
times, rss = [], []
for _ in range(runs):
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        env = {"PATH": os.environ["PATH"], "ASPNETCORE_URLS": f"http://127.0.0.1:{port}",
               "Elsa__Identity__ApiKey": "bench-api-key-0123456789abcdefghijklmnop", "RUST_LOG": "warn",
               # Production (the default environment) refuses to start without one.
               "Elsa__Identity__Tokens__SigningKey": "bench-signing-key-0123456789abcdefghijklmnop"}
        t0 = time.perf_counter()
        p = subprocess.Popen([binary], cwd=d, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not ready(f"http://127.0.0.1:{port}/health/ready"):
            time.sleep(0.002)
        times.append((time.perf_counter() - t0) * 1000)
        time.sleep(2)
        with open(f"/proc/{p.pid}/status") as f:
            rss.append(next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024)
        p.terminate(); p.wait()
print(f"start_to_ready_ms median={statistics.median(times):.1f} min={min(times):.1f} max={max(times):.1f} (runs={runs}, fresh SQLite each, migrations included)")
print(f"idle_rss_mb median={statistics.median(rss):.1f} max={max(rss):.1f}")
