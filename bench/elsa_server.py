"""What bench/storage.py and bench/rss.py share: the 10-step workflow of bench/peers and an
elsa-server started on a fresh SQLite directory, ready, and stopped with SIGTERM afterwards."""
import contextlib, os, signal, socket, subprocess, time, urllib.request

API_KEY = "bench-api-key-0123456789abcdefghijklmnop"
TEN_STEP = {"workflow": {"root": {"type": "Elsa.Sequence", "activities": [
    {"id": f"s{i}", "type": "Elsa.WriteLine", "text": f"Step {i}"} for i in range(1, 11)]}}}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def started(binary, directory):
    """(process, base URL) of the server running in `directory`, once /health/ready says 200."""
    port = free_port()
    env = {"PATH": os.environ["PATH"], "ASPNETCORE_URLS": f"http://127.0.0.1:{port}",
           "Elsa__Identity__ApiKey": API_KEY, "RUST_LOG": "warn",
           # Production (the default environment) refuses to start without one.
           "Elsa__Identity__Tokens__SigningKey": "bench-signing-key-0123456789abcdefghijklmnop"}
    p = subprocess.Popen([binary], cwd=directory, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1000):
            try:
                if urllib.request.urlopen(url + "/health/ready", timeout=1).status == 200:
                    break
            except Exception:
                time.sleep(0.01)
        yield p, url
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait()
