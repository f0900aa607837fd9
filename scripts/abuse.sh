#!/usr/bin/env bash
# Replays the probes of issue 9 ("Why": what an attacker and a careless user sent) against a
# release build of elsa-server and prints a Markdown table: per probe the answer (HTTP status or
# outcome), its wall time and the server's peak resident size during it, then how SIGTERM ends
# the server. Exits 1 when a probe is not answered as it should be (a 4xx/503 with a clear
# problem, or an incident), the server stops serving, or a probe grows the peak RSS by more
# than ABUSE_MAX_GROWTH_MIB.
#
#   scripts/abuse.sh                                   # builds target/release/elsa-server first
#   CARGO_TARGET_DIR=/work/target-release scripts/abuse.sh      # ... or into that target dir
#   ELSA_SERVER_BIN=/path/to/release/elsa-server scripts/abuse.sh   # an already built binary
#   ABUSE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/abuse.sh
#
# Environment:
#   ELSA_SERVER_BIN       the binary to probe (default: `cargo build --release -p elsa-server`,
#                         then $CARGO_TARGET_DIR/release/elsa-server, target/ by default)
#   ABUSE_DATABASE_URL    PostgreSQL instead of SQLite: a postgres:// URL of a server on which
#                         a throwaway database is created (with psql) and dropped at the end.
#                         The servers reach it through a small TCP proxy of this script, which
#                         the outage probe pauses (`ConnectionStrings__PostgreSql`,
#                         `Elsa__AutoMigrate=true`).
#   ABUSE_HEADERS_TIMEOUT Kestrel__Limits__RequestHeadersTimeout of the probed server, in
#                         seconds (default: unset, the server's default of 30 s); the slowloris
#                         probe counts the connections still open 5 s after it.
#   ABUSE_SLOWLORIS       slowloris connections (default 2000)
#   ABUSE_MAX_GROWTH_MIB  peak RSS growth a probe may cause (default 64: 16 times the 4 MiB
#                         body limit)
#   ABUSE_MAX_RUN_GROWTH_MIB  the same for the runaway-run probes (default 128 + 160 per CPU:
#                         the cap on uncommitted runs' memory and SQLite's writer cache, 64 MiB
#                         each, and one run at the default budgets per engine thread)
#   ABUSE_KEEP=1          keep the temporary directory (server logs) at the end
#
# Every server runs on 127.0.0.1 on a port of its own choosing (ASPNETCORE_URLS=…:0) in a
# temporary directory, in the Production environment, with a clean environment: a 48-character
# API key, a signing key, and what a probe sets. Needs curl and python3 (and psql for
# PostgreSQL); Linux only (/proc/PID/clear_refs and VmHWM measure the peak RSS per probe).
# Takes about two minutes (most of it the slowloris hold).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MAX_GROWTH_MIB=${ABUSE_MAX_GROWTH_MIB:-64}
MAX_RUN_GROWTH_MIB=${ABUSE_MAX_RUN_GROWTH_MIB:-$((128 + 160 * $(nproc)))}
SLOWLORIS=${ABUSE_SLOWLORIS:-2000}
HEADERS_TIMEOUT=${ABUSE_HEADERS_TIMEOUT:-}

for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "abuse.sh needs $tool" >&2; exit 2; }
done

SOURCE="given binary; source tree at"
if [ -z "${ELSA_SERVER_BIN:-}" ]; then
  SOURCE="built from"
  echo "Building elsa-server (release) ..." >&2
  (cd "$ROOT" && cargo build --release -p elsa-server >&2)
  ELSA_SERVER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/elsa-server"
fi
BIN=$(cd "$(dirname "$ELSA_SERVER_BIN")" && pwd)/$(basename "$ELSA_SERVER_BIN")
[ -x "$BIN" ] || { echo "not an executable: $BIN" >&2; exit 2; }

WORK=$(mktemp -d /tmp/elsa-abuse.XXXXXX)
API_KEY="abuse-key-$(python3 -c 'import secrets; print(secrets.token_hex(19))')"
SIGNING_KEY="abuse-signing-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
SERVER_PIDS=()
PROXY_PID=
PG_DB=

cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}" $PROXY_PID; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ -n "$PG_DB" ]; then
    psql "$ABUSE_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ "${ABUSE_KEEP:-}" = 1 ]; then
    echo "Kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# The python half: raw sockets, parallel requests, JWTs, the database proxy, JSON bodies.
cat >"$WORK/abuse.py" <<'PY'
import base64, hashlib, hmac, json, os, resource, select, socket, sys, threading, time

HOST = "127.0.0.1"

def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def parse(data):
    """(status, headers, body) of a raw HTTP/1.1 response, status 0 when there is none."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return 0, {}, b""
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        out, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            try:
                n = int(size.split(b";")[0], 16)
            except ValueError:
                break
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return status, headers, body

def read_response(sock, timeout):
    sock.setblocking(True)
    sock.settimeout(timeout)
    data, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, OSError):
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            _, headers, _ = parse(data)
            if "content-length" in headers and len(body) >= int(headers["content-length"]):
                break
            if headers.get("transfer-encoding", "").lower() == "chunked" and body.endswith(b"0\r\n\r\n"):
                break
    return data

def detail(body):
    """The detail (or title, or the first words) of a problem body."""
    try:
        doc = json.loads(body)
        if isinstance(doc, dict) and isinstance(doc.get("entries"), dict):
            return f'{doc.get("status")}: ' + "; ".join(f"{k} {v}" for k, v in doc["entries"].items())
        if isinstance(doc, dict):
            return str(doc.get("detail") or doc.get("title") or doc.get("message") or "")[:160]
    except ValueError:
        pass
    return body[:120].decode("utf-8", "replace")

def request(port, method, path, body=b"", headers=None, timeout=30, fresh=True):
    """One request on a connection of its own: the body is streamed and not finished when the
    server answers first. Returns a dict: status (0: none), detail, sent, error, seconds."""
    started = time.monotonic()
    result = {"status": 0, "detail": "", "sent": 0, "error": "", "headers": {}}
    try:
        sock = socket.create_connection((HOST, port), timeout=timeout)
    except OSError as e:
        result.update(error=f"connect: {e}", seconds=time.monotonic() - started)
        return result
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n"
    for k, v in (headers or {}).items():
        head += f"{k}: {v}\r\n"
    if body or method in ("POST", "PUT"):
        head += f"Content-Length: {len(body)}\r\n"
    try:
        sock.sendall(head.encode() + b"\r\n")
        view, sent = memoryview(body), 0
        sock.setblocking(False)
        while sent < len(body):
            readable, writable, _ = select.select([sock], [sock], [], 1)
            if readable:
                break  # answered before the body was sent
            if writable:
                try:
                    sent += sock.send(view[sent:sent + 65536])
                except BlockingIOError:
                    pass
        result["sent"] = sent
    except OSError as e:
        result["error"] = f"{type(e).__name__} after {result['sent']} bytes"
    data = read_response(sock, timeout)
    sock.close()
    status, hdrs, rbody = parse(data)
    result.update(status=status, headers=hdrs, detail=detail(rbody) if status else "",
                  seconds=time.monotonic() - started)
    if not status and not result["error"]:
        result["error"] = "closed without an answer"
    return result

def parallel(n, fn):
    results = [None] * n
    def run(i):
        results[i] = fn()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads: t.start()
    for t in threads: t.join()
    return results

def closed(sock):
    """Whether the server has closed `sock` (end of stream or reset); answers are read past."""
    sock.setblocking(False)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True

def fmt(r):
    if r["status"]:
        return f'{r["status"]} "{r["detail"]}"' if r["detail"] else str(r["status"])
    return r["error"] or "no answer"

# --- bodies -----------------------------------------------------------------------------------
def text(value):
    return {"typeName": "String", "expression": {"type": "Literal", "value": value}}

def liquid(source):
    return {"workflow": {"root": {"id": "Spin", "type": "Elsa.WriteLine",
            "text": {"typeName": "String", "expression": {"type": "Liquid", "value": source}}}}}

GUIDE = {"workflow": {"activities": [{"id": "1", "type": "WriteLine", "text": "Hello from Kubernetes!"}]}}

def cycle():
    connect = lambda a, b: {"source": {"activity": a, "port": "Done"}, "target": {"activity": b, "port": "In"}}
    return {"workflow": {"root": {"id": "Cycle", "type": "Elsa.Flowchart", "activities": [
        {"id": "Begin", "type": "Elsa.Start"},
        {"id": "Tick", "type": "Elsa.WriteLine", "text": "tick"},
        {"id": "Tock", "type": "Elsa.WriteLine", "text": "tock"}],
        "connections": [connect("Begin", "Tick"), connect("Tick", "Tock"), connect("Tock", "Tick")]}}}

def endpoint():
    lit = lambda t, v: {"typeName": t, "expression": {"type": "Literal", "value": v}}
    root = {"id": "Seq", "type": "Elsa.Sequence", "activities": [
        {"id": "Http", "type": "Elsa.HttpEndpoint", "path": lit("String", "abuse-private"),
         "supportedMethods": lit("String[]", ["GET"]), "authorize": lit("Boolean", True),
         "customProperties": {"canStartWorkflow": True}},
        {"id": "Respond", "type": "Elsa.WriteHttpResponse", "statusCode": "OK",
         "content": lit("String", "secret")}]}
    return {"model": {"definitionId": "abuse-private", "name": "abuse-private", "root": root}, "publish": True}

def numbers(size):
    """An execute body of `size` bytes: the guide's workflow and an input of integers."""
    head = json.dumps(GUIDE)[:-1].encode() + b',"input":{"n":['
    tail = b"1]}}"
    count = (size - len(head) - len(tail)) // 2
    return head + b"1," * count + tail

def body(name):
    dump = lambda doc: json.dumps(doc, separators=(",", ":")).encode()
    if name == "liquid-nested":
        return dump(liquid("{% for a in (1..1000000) %}{% for b in (1..1000000) %}y{% endfor %}{% endfor %}"))
    if name == "liquid-doubling":
        return dump(liquid("{% assign x = 'y' %}{% for i in (1..64) %}{% assign x = x | append: x %}{% endfor %}{{ x }}"))
    if name == "guide": return dump(GUIDE)
    if name == "cycle": return dump(cycle())
    if name == "endpoint": return dump(endpoint())
    raise SystemExit(f"no body {name}")

def incident(raw):
    """'<status>, incident: <message> (<exception type>)' of an execute's answer."""
    try:
        state = json.loads(raw)["workflowState"]
        inc = state.get("incidents") or []
        if inc:
            exc = (inc[0].get("exception") or {}).get("type", "")
            return f'{state.get("subStatus")}, incident "{inc[0].get("message")}"' + (f" ({exc})" if exc else "")
        return str(state.get("subStatus"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return detail(raw)

# --- probes -----------------------------------------------------------------------------------
def cmd_big_post(port, path, size, parallel_n, key):
    """POST bodies of `size` bytes (a login's password, or integers for execute)."""
    if path.endswith("/login"):
        prefix = b'{"username":"admin","password":"'
        data = prefix + b"x" * (size - len(prefix) - 2) + b'"}'
    else:
        data = numbers(size)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"ApiKey {key}"
    results = parallel(parallel_n, lambda: request(port, "POST", path, data, headers, timeout=60))
    statuses = sorted({fmt(r) for r in results})
    sent = ", ".join(f'{r["sent"] / 1e6:.2f}' for r in results)
    ok = all(r["status"] == 413 for r in results)
    print(json.dumps({"ok": ok, "result": f'{" / ".join(statuses)}{" ×%d" % parallel_n if parallel_n > 1 else ""} ({len(data) / 1e6:.1f} MB body, {sent} MB of it sent)',
                      "details": [r["detail"] for r in results]}))

def live(port, path="/health/live", timeout=1.0, key=None):
    headers = {"Authorization": f"ApiKey {key}"} if key else {}
    return request(port, "GET", path, b"", headers, timeout=timeout)

def cmd_slowloris(port, n, hold, key):
    raise_nofile()
    socks, refused = [], 0
    for _ in range(n):
        try:
            s = socket.create_connection((HOST, port), timeout=5)
            s.sendall(b"GET /elsa/api/workflow-definitions HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError:
            refused += 1
    opened = time.monotonic()
    probes = []
    gone = set()
    next_probe = 0.5
    while time.monotonic() - opened < hold:
        elapsed = time.monotonic() - opened
        if elapsed >= next_probe:
            probes.append((live(port), live(port, "/elsa/api/workflow-definitions?pageSize=1", 5, key)))
            next_probe += 10
        # A slowloris client trickles one more header line now and then.
        for i, s in enumerate(socks):
            if i in gone:
                continue
            if closed(s):
                gone.add(i)
                continue
            try:
                s.send(b"X-Slow: 1\r\n")
            except OSError:
                gone.add(i)
        time.sleep(min(5, max(0.1, hold - (time.monotonic() - opened))))
    still = sum(1 for i, s in enumerate(socks) if i not in gone and not closed(s))
    live_ok = all(a["status"] == 200 for a, _ in probes)
    api_ok = all(b["status"] == 200 for _, b in probes)
    worst_live = max(a["seconds"] for a, _ in probes)
    worst_api = max(b["seconds"] for _, b in probes)
    print(json.dumps({"ok": still == 0 and live_ok and api_ok and refused == 0,
        "result": f"{still} of {len(socks)} still open after {hold:.0f} s"
                  + (f" ({refused} refused)" if refused else "")
                  + f"; meanwhile (checked {len(probes)}× from 0.5 s, every 10 s) /health/live {'/'.join(sorted({fmt(a) for a, _ in probes}))} (≤ {worst_live:.3f} s),"
                  + f" GET definitions {'/'.join(sorted({fmt(b) for _, b in probes}))} (≤ {worst_api:.3f} s)"}))
    for s in socks:
        s.close()

def cmd_idle_sockets(port, n, probe_for, key, reopen):
    """Holds `n` idle connections (re-opening those the server closes when `reopen`) and asks
    /health/live every 0.25 s meanwhile, as a liveness probe would (1 s timeout)."""
    raise_nofile()
    socks, refused, reopened = [], 0, 0
    for _ in range(n):
        try:
            socks.append(socket.create_connection((HOST, port), timeout=5))
        except OSError:
            refused += 1
    opened = time.monotonic()
    attempts, first_ok = [], None
    while time.monotonic() - opened < probe_for:
        if reopen:
            for i, s in enumerate(socks):
                if closed(s):
                    s.close()
                    try:
                        socks[i] = socket.create_connection((HOST, port), timeout=5)
                        reopened += 1
                    except OSError:
                        refused += 1
        r = live(port, timeout=1.0)
        attempts.append(fmt(r))
        if r["status"] == 200 and first_ok is None:
            first_ok = time.monotonic() - opened
        time.sleep(0.25)
    closed_n = sum(1 for s in socks if closed(s))
    api = live(port, "/elsa/api/workflow-definitions?pageSize=1", 5, key)
    oks = attempts.count("200")
    kinds = ", ".join(f"{k} ×{attempts.count(k)}" for k in sorted(set(attempts), key=lambda k: (k != "200", k)))
    result = (f"/health/live over {probe_for:.0f} s, {len(attempts)} tries of 1 s: {kinds}"
              + (f" (first 200 after {first_ok:.2f} s)" if first_ok is not None else " (never 200)")
              + (f"; {reopened} connections re-opened" if reopen else f"; {closed_n} of {len(socks)} idle sockets closed by the server")
              + (f", {refused} refused" if refused else "")
              + f"; GET definitions meanwhile {fmt(api)}")
    print(json.dumps({"ok": oks == len(attempts) and api["status"] in (200, 503), "result": result}))
    for s in socks:
        s.close()

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def jwt(signing_key, nbf_offset):
    now = int(time.time())
    claims = {"sub": "admin", "name": "admin", "role": "Admin", "permissions": "*",
              "token_use": "access", "iss": "http://elsa.api", "aud": "http://elsa.api",
              "iat": now, "nbf": now + nbf_offset, "exp": now + 7200}
    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    mac = hmac.new(signing_key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(mac)

def cmd_jwt(port, signing_key):
    path = "/elsa/api/workflow-definitions?pageSize=1"
    future = request(port, "GET", path, b"", {"Authorization": f"Bearer {jwt(signing_key, 3600)}"}, 10)
    control = request(port, "GET", path, b"", {"Authorization": f"Bearer {jwt(signing_key, 0)}"}, 10)
    ok = future["status"] == 401 and control["status"] == 200
    print(json.dumps({"ok": ok, "result": f"{fmt(future)}; the same token with nbf = now: {control['status']}"}))

def cmd_wrong_keys(port, n, key):
    statuses, retry_after = [], ""
    for i in range(n):
        r = request(port, "GET", "/elsa/api/workflow-definitions?pageSize=1", b"",
                    {"Authorization": f"ApiKey wrong-key-{i:04d}-0123456789-0123456789-0123"}, 10)
        statuses.append(r["status"])
        if r["status"] == 429 and not retry_after:
            retry_after = r["headers"].get("retry-after", "none")
    first = statuses.index(429) + 1 if 429 in statuses else None
    right = request(port, "GET", "/elsa/api/workflow-definitions?pageSize=1", b"",
                    {"Authorization": f"ApiKey {key}"}, 10)
    counts = ", ".join(f"{s}×{statuses.count(s)}" for s in sorted(set(statuses)))
    result = (f"429 from attempt {first} (Retry-After: {retry_after})" if first else "never 429") + f"; {counts}; the right key from the same address then: {right['status']}"
    print(json.dumps({"ok": first is not None and first <= 11, "result": result}))

def cmd_proxy(port_file, target_host, target_port, pause_file):
    """A TCP proxy to PostgreSQL that relays nothing while `pause_file` exists (a network
    outage: connections hang rather than fail)."""
    import asyncio
    async def pump(reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                while os.path.exists(pause_file):
                    await asyncio.sleep(0.05)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass
    async def handle(reader, writer):
        while os.path.exists(pause_file):
            await asyncio.sleep(0.05)
        try:
            up_r, up_w = await asyncio.open_connection(target_host, int(target_port))
        except OSError:
            writer.close()
            return
        await asyncio.gather(pump(reader, up_w), pump(up_r, writer))
    async def main():
        server = await asyncio.start_server(handle, HOST, 0)
        with open(port_file + ".tmp", "w") as f:
            f.write(str(server.sockets[0].getsockname()[1]))
        os.rename(port_file + ".tmp", port_file)
        async with server:
            await server.serve_forever()
    asyncio.run(main())

def cmd_pg_parts(url):
    from urllib.parse import urlparse
    u = urlparse(url)
    print(u.hostname or "127.0.0.1", u.port or 5432, u.username or "postgres", u.password or "")

def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "body":
        sys.stdout.buffer.write(body(args[0]))
    elif cmd == "incident":
        print(incident(open(args[0], "rb").read()))
    elif cmd == "detail":
        print(detail(open(args[0], "rb").read()))
    elif cmd == "big-post":
        cmd_big_post(int(args[0]), args[1], int(args[2]), int(args[3]), args[4] if len(args) > 4 else "")
    elif cmd == "slowloris":
        cmd_slowloris(int(args[0]), int(args[1]), float(args[2]), args[3])
    elif cmd == "idle-sockets":
        cmd_idle_sockets(int(args[0]), int(args[1]), float(args[2]), args[3], args[4] == "reopen")
    elif cmd == "jwt":
        cmd_jwt(int(args[0]), args[1])
    elif cmd == "wrong-keys":
        cmd_wrong_keys(int(args[0]), int(args[1]), args[2])
    elif cmd == "proxy":
        cmd_proxy(*args)
    elif cmd == "pg-parts":
        cmd_pg_parts(args[0])
    elif cmd == "field":
        print(json.loads(sys.stdin.read())[args[0]])
    else:
        raise SystemExit(f"unknown command {cmd}")

main()
PY
py() { python3 "$WORK/abuse.py" "$@"; }

for name in liquid-nested liquid-doubling guide cycle endpoint; do
  py body "$name" >"$WORK/$name.json"
done

# ---------------------------------------------------------------------------------------------
# Database: SQLite in each server's directory, or a throwaway PostgreSQL database via the proxy.
DB_ENV=()
if [ -n "${ABUSE_DATABASE_URL:-}" ]; then
  command -v psql >/dev/null || { echo "ABUSE_DATABASE_URL needs psql" >&2; exit 2; }
  read -r PG_HOST PG_PORT PG_USER PG_PASSWORD < <(py pg-parts "$ABUSE_DATABASE_URL")
  PG_DB="elsa_abuse_$$_$RANDOM"
  psql "$ABUSE_DATABASE_URL" -qc "CREATE DATABASE \"$PG_DB\"" >/dev/null
  python3 "$WORK/abuse.py" proxy "$WORK/proxy.port" "$PG_HOST" "$PG_PORT" "$WORK/proxy.pause" \
    >"$WORK/proxy.log" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 100); do [ -f "$WORK/proxy.port" ] && break; sleep 0.05; done
  PROXY_PORT=$(cat "$WORK/proxy.port")
  DB_ENV=("ConnectionStrings__PostgreSql=postgres://$PG_USER${PG_PASSWORD:+:$PG_PASSWORD}@127.0.0.1:$PROXY_PORT/$PG_DB"
          "Elsa__AutoMigrate=true")
  DATABASE="PostgreSQL (throwaway database $PG_DB on $PG_HOST:$PG_PORT, through a TCP proxy)"
else
  DATABASE="SQLite"
fi

# ---------------------------------------------------------------------------------------------
# Servers.
hms() { printf '%02d:%02d:%02d' $(($1 / 3600)) $(($1 / 60 % 60)) $(($1 % 60)); }

# start_server NAME [VAR=VALUE ...] [-- PREFIX COMMAND ...]: starts elsa-server in $WORK/NAME and
# waits until it is ready; sets SERVER_PID and PORT.
start_server() {
  local name=$1 dir=$WORK/$1 env=() prefix=() line
  shift
  while [ $# -gt 0 ]; do
    if [ "$1" = -- ]; then shift; prefix=("$@"); break; fi
    env+=("$1"); shift
  done
  mkdir -p "$dir"
  (cd "$dir" && exec env -i PATH="$PATH" RUST_LOG=info ASPNETCORE_URLS=http://127.0.0.1:0 \
    Elsa__Identity__ApiKey="$API_KEY" Elsa__Identity__Tokens__SigningKey="$SIGNING_KEY" \
    ${HEADERS_TIMEOUT:+Kestrel__Limits__RequestHeadersTimeout=$(hms "$HEADERS_TIMEOUT")} \
    "${DB_ENV[@]}" "${env[@]}" "${prefix[@]}" "$BIN") >"$dir/stdout" 2>"$dir/stderr" &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
  for _ in $(seq 600); do
    line=$(grep -ao 'Now listening on: http://[0-9.:]*' "$dir/stderr" | head -n 1 || true)
    [ -n "$line" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server $name exited:" >&2; cat "$dir/stderr" >&2; exit 1; }
    sleep 0.05
  done
  [ -n "$line" ] || { echo "server $name did not start:" >&2; cat "$dir/stderr" >&2; exit 1; }
  PORT=${line##*:}
  for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health/ready")" = 200 ] && return 0
    sleep 0.1
  done
  echo "server $name never became ready" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Measuring.
ROWS=()
FAILED=0
now() { date +%s.%N; }
kib() { awk -v k="$2" '$1 == k ":" { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# begin PID: resets the peak RSS of PID and starts the clock.
begin() {
  M_PID=$1
  echo 5 >"/proc/$M_PID/clear_refs"
  M_RSS0=$(kib "$M_PID" VmRSS)
  M_T0=$(now)
}

# row NAME RESULT OK [BOUND]: the row of the probe begun last (its time ends now, its peak is
# read now); BOUND is the peak RSS growth allowed (MiB, default MAX_GROWTH_MIB).
row() {
  local name=$1 result=$2 ok=$3 bound=${4:-$MAX_GROWTH_MIB} t1 hwm rss growth mark
  t1=$(now)
  hwm=$(kib "$M_PID" VmHWM)
  if [ -z "$hwm" ]; then
    rss="— (server gone)"; ok=no
  else
    growth=$(( (hwm - M_RSS0) / 1024 ))
    rss="$(mib "$M_RSS0") → $(mib "$hwm")"
    if [ "$growth" -gt "$bound" ]; then ok=no; result="$result; **peak RSS +$growth MiB**"; fi
  fi
  if [ "$ok" = yes ]; then mark=ok; else mark="**FAIL**"; FAILED=1; fi
  result=${result//|/\\|}
  ROWS+=("| $name | $result | $(awk -v a="$M_T0" -v b="$t1" 'BEGIN { printf "%.2f s", b - a }') | $rss | $mark |")
  printf '%s\n' "${ROWS[-1]}" >&2
}

# curl_api METHOD PATH [curl args]: prints "STATUS SECONDS", the body in $WORK/out.
curl_api() {
  local method=$1 path=$2
  shift 2
  curl -s -o "$WORK/out" -w '%{http_code} %{time_total}\n' --max-time 120 -X "$method" \
    -H "Authorization: ApiKey $API_KEY" "$@" "http://127.0.0.1:$PORT$path" || true
}
execute() { curl_api POST /elsa/api/workflow-definitions/execute -H 'Content-Type: application/json' --data-binary "@$WORK/$1.json"; }

# still_serves: the guide's execute answers 200; sets SERVES (text) and SERVES_OK.
still_serves() {
  local status seconds
  read -r status seconds < <(execute guide)
  SERVES="then the guide's execute $status in $(printf '%.3f' "$seconds") s"
  if [ "$status" = 200 ]; then SERVES_OK=yes; else SERVES_OK=no; fi
}

both() { if [ "$1" = yes ] && [ "$2" = yes ]; then echo yes; else echo no; fi; }
# okof JSON [yes|no]: the python probe's verdict, and the other one.
okof() { both "$(py field ok <<<"$1" | sed 's/True/yes/;s/False/no/')" "${2:-yes}"; }

# ---------------------------------------------------------------------------------------------
echo "Probing $BIN on $DATABASE ..." >&2
start_server main
MAIN_PID=$SERVER_PID
MAIN_PORT=$PORT
BASE_RSS=$(mib "$(kib "$MAIN_PID" VmRSS)")

# 1. Liquid.
for template in nested doubling; do
  begin "$MAIN_PID"
  read -r status _ < <(execute "liquid-$template")
  result="$status, $(py incident "$WORK/out")"
  ok=no; [ "$status" = 500 ] && grep -q 'Liquid' <<<"$result" && ok=yes
  still_serves
  case $template in
    nested) name='1a Liquid nested loop (1..1000000)×(1..1000000)' ;;
    doubling) name='1b Liquid doubling string (`append: x` ×64)' ;;
  esac
  row "$name" "$result; $SERVES" "$(both $ok "$SERVES_OK")"
done

# 2. Request memory.
begin "$MAIN_PID"
out=$(py big-post "$PORT" /elsa/api/identity/login 14000000 1)
still_serves
row '2a anonymous 14 MB login' "$(py field result <<<"$out"); $SERVES" "$(okof "$out" "$SERVES_OK")"

begin "$MAIN_PID"
out=$(py big-post "$PORT" /elsa/api/identity/login 14000000 3)
still_serves
row '2b anonymous 14 MB login ×3 in parallel' "$(py field result <<<"$out"); $SERVES" "$(okof "$out" "$SERVES_OK")"

begin "$MAIN_PID"
out=$(py big-post "$PORT" /elsa/api/workflow-definitions/execute 15800000 1 "$API_KEY")
still_serves
row '2c authenticated 15.8 MB execute of integers' "$(py field result <<<"$out"); $SERVES" "$(okof "$out" "$SERVES_OK")"

begin "$MAIN_PID"
out=$(py big-post "$PORT" /elsa/api/workflow-definitions/execute 3900000 1 "$API_KEY")
still_serves
ok=$(okof "$out")
grep -q 'Elsa:Http:MaxJsonElements' <<<"$out" || ok=no
row '2d authenticated 3.9 MB execute of integers (`[1,1,…]`)' "$(py field result <<<"$out"); $SERVES" "$(both "$ok" "$SERVES_OK")"

# 3. Connections.
hold=$(( ${HEADERS_TIMEOUT:-30} + 5 ))
begin "$MAIN_PID"
out=$(py slowloris "$PORT" "$SLOWLORIS" "$hold" "$API_KEY")
still_serves
row "3a $SLOWLORIS slowloris connections (partial headers, a header line every 5 s)" "$(py field result <<<"$out"); $SERVES" "$(okof "$out" "$SERVES_OK")"

start_server fd256 -- prlimit --nofile=256:256
FD_PID=$SERVER_PID
begin "$FD_PID"
out=$(py idle-sockets "$PORT" 400 10 "$API_KEY" hold)
still_serves
row '3b 400 idle sockets, server under `prlimit --nofile=256:256`' "$(py field result <<<"$out"); $SERVES" "$(okof "$out" "$SERVES_OK")"
sleep 3
begin "$FD_PID"
out=$(py idle-sockets "$PORT" 400 10 "$API_KEY" reopen)
accept_errors=$(grep -c 'Cannot accept\|Too many open files' "$WORK/fd256/stderr" || true)
still_serves
row '3c the same, re-opening every socket the server closes' "$(py field result <<<"$out"); accept-error log lines: $accept_errors; $SERVES" "$(okof "$out" "$SERVES_OK")"
kill -TERM "$FD_PID"; wait "$FD_PID" || true
PORT=$MAIN_PORT

# 4. Runaway flowchart cycles, N at once, and an unrelated execute meanwhile.
cycles() {
  local n=$1 i status seconds g_status g_seconds result ok=yes slowest=0
  local pids=()
  begin "$MAIN_PID"
  for i in $(seq "$n"); do
    curl -s -o "$WORK/cycle$i.out" -w '%{http_code} %{time_total}\n' --max-time 120 -X POST \
      -H "Authorization: ApiKey $API_KEY" -H 'Content-Type: application/json' \
      --data-binary "@$WORK/cycle.json" "http://127.0.0.1:$PORT/elsa/api/workflow-definitions/execute" \
      >"$WORK/cycle$i.status" &
    pids+=($!)
  done
  sleep 0.5
  read -r g_status g_seconds < <(execute guide)
  wait "${pids[@]}" || true
  result="×$n: 500 ×"
  local faulted=0
  for i in $(seq "$n"); do
    read -r status seconds <"$WORK/cycle$i.status"
    if [ "$status" = 500 ]; then faulted=$((faulted + 1)); else ok=no; fi
    slowest=$(awk -v a="$slowest" -v b="$seconds" 'BEGIN { print (b > a) ? b : a }')
  done
  result="$result$faulted (the last after $(printf '%.2f' "$slowest") s), $(py incident "$WORK/cycle1.out"); the guide's execute meanwhile (sent 0.5 s in): $g_status in $(printf '%.2f' "$g_seconds") s"
  grep -q 'exceeded the limit' <<<"$result" || ok=no
  [ "$g_status" = 200 ] || ok=no
  # Behind two runaway runs (issue 9's probe) an unrelated execute waits for an engine thread
  # about a run at most. Behind more, it waits its turn: engine threads take runs in arrival
  # order, and runaway ones commit one after another (each is over the uncommitted-memory cap
  # alone), so 4b reports the wait without a bound.
  if [ "$n" -le 2 ]; then
    awk -v s="$g_seconds" 'BEGIN { exit !(s > 10) }' && { ok=no; result="$result (**over 10 s**)"; }
  fi
  row "4$2 flowchart cycle Start→A→B→A… ($(wc -c <"$WORK/cycle.json") bytes) ×$n in parallel (bound +$MAX_RUN_GROWTH_MIB MiB)" "$result" "$ok" "$MAX_RUN_GROWTH_MIB"
}
cycles 2 ""
cycles 8 b

# 5. An HTTP endpoint that asks for a caller.
begin "$MAIN_PID"
read -r status _ < <(curl_api POST /elsa/api/workflow-definitions -H 'Content-Type: application/json' --data-binary "@$WORK/endpoint.json")
[ "${status:0:1}" = 2 ] || { echo "publishing the endpoint failed: $status $(cat "$WORK/out")" >&2; exit 1; }
anon=$(curl -s -o "$WORK/out" -w '%{http_code}' --max-time 30 "http://127.0.0.1:$PORT/workflows/abuse-private" || true)
result="$anon \"$(py detail "$WORK/out")\""
keyed=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: ApiKey $API_KEY" "http://127.0.0.1:$PORT/workflows/abuse-private" || true)
still_serves
ok=no; [ "$anon" = 401 ] && ok=yes
row '5 `Elsa.HttpEndpoint` with `authorize: true`, anonymous GET' "$result; with the API key: $keyed; $SERVES" "$(both $ok "$SERVES_OK")"

# 6. Credentials.
begin "$MAIN_PID"
out=$(py jwt "$PORT" "$SIGNING_KEY")
still_serves
row '6a JWT (signed with the configured key) whose `nbf` is 1 h ahead' "$(py field result <<<"$out"); $SERVES" "$(okof "$out" "$SERVES_OK")"

# Wrong keys lock the address out for a minute: on a server of their own.
start_server lockout
LOCKOUT_PID=$SERVER_PID
begin "$LOCKOUT_PID"
out=$(py wrong-keys "$PORT" 132 "$API_KEY")
live_status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/health/live" || true)
row '6b 132 wrong API keys from one address' "$(py field result <<<"$out"); /health/live then $live_status" "$(okof "$out")"
kill -TERM "$LOCKOUT_PID"; wait "$LOCKOUT_PID" || true
PORT=$MAIN_PORT

# Production with a 3-character API key: must not start.
mkdir -p "$WORK/weak"
t0=$(now)
rc=0
(cd "$WORK/weak" && exec timeout 30 env -i PATH="$PATH" RUST_LOG=info ASPNETCORE_URLS=http://127.0.0.1:0 \
  Elsa__Identity__ApiKey=abc Elsa__Identity__Tokens__SigningKey="$SIGNING_KEY" "${DB_ENV[@]}" "$BIN") \
  >"$WORK/weak/stdout" 2>"$WORK/weak/stderr" || rc=$?
t1=$(now)
message=$(grep -a 'ApiKey' "$WORK/weak/stderr" | head -n 1 | sed 's/\x1b\[[0-9;]*m//g; s/^[ -]*//' | cut -c1-160 || true)
if [ "$rc" = 124 ]; then result="**started** (killed after 30 s)"; ok=no
elif [ "$rc" != 0 ] && [ -n "$message" ]; then result="refused to start: exit $rc, \"$message\""; ok=yes
else result="exit $rc, no message naming the API key"; ok=no; fi
[ "$ok" = yes ] && mark=ok || { mark="**FAIL**"; FAILED=1; }
ROWS+=("| 6c \`Elsa__Identity__ApiKey=abc\` in Production | ${result//|/\\|} | $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s", b - a }') | — | $mark |")
printf '%s\n' "${ROWS[-1]}" >&2

# 7. Error quality.
begin "$MAIN_PID"
read -r status _ < <(curl_api GET '/elsa/api/workflow-instances/a%00b')
result="$status \"$(py detail "$WORK/out")\""
still_serves
ok=no; [ "$status" = 400 ] && ok=yes
row '7a NUL in an id: `GET /elsa/api/workflow-instances/a%00b`' "$result; $SERVES" "$(both $ok "$SERVES_OK")"

begin "$MAIN_PID"
read -r status _ < <(curl_api POST /elsa/api/workflow-definitions/execute -H 'Content-Type: text/plain' --data-binary "@$WORK/guide.json")
result="$status \"$(py detail "$WORK/out")\""
still_serves
ok=no; [ "$status" = 415 ] && ok=yes
row '7b `text/plain` execute body' "$result; $SERVES" "$(both $ok "$SERVES_OK")"

if [ -n "$PROXY_PID" ]; then
  begin "$MAIN_PID"
  touch "$WORK/proxy.pause"
  sleep 1
  result="database unreachable (proxy paused):"
  ok=yes
  for i in 1 2 3; do
    read -r status seconds < <(curl -s -o "$WORK/ready.out" -w '%{http_code} %{time_total}\n' --max-time 40 "http://127.0.0.1:$PORT/health/ready" || true)
    result="$result $status in $(printf '%.2f' "$seconds") s,"
    [ "$status" = 503 ] || ok=no
    awk -v s="$seconds" 'BEGIN { exit !(s > 2) }' && ok=no
    sleep 0.5
  done
  result="$result \"$(py detail "$WORK/ready.out")\"; /health/live $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/health/live" || true)"
  read -r status seconds < <(curl_api GET '/elsa/api/workflow-definitions?pageSize=1' --max-time 40)
  result="$result; GET definitions $status in $(printf '%.2f' "$seconds") s \"$(py detail "$WORK/out")\""
  rm -f "$WORK/proxy.pause"
  t_back=$(now)
  back=never
  for _ in $(seq 300); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/health/ready" || true)" = 200 ]; then
      back=$(awk -v a="$t_back" -v b="$(now)" 'BEGIN { printf "%.2f s", b - a }'); break
    fi
    sleep 0.1
  done
  still_serves
  row '7c `/health/ready` during a database outage' "$result; ready again $back after the outage; $SERVES" "$(both $ok "$SERVES_OK")"
else
  ROWS+=("| 7c \`/health/ready\` during a database outage | skipped on SQLite (set ABUSE_DATABASE_URL) | — | — | — |")
fi

# SIGTERM, with a runaway cycle in flight.
curl -s -o "$WORK/inflight.out" -w '%{http_code}' --max-time 120 -X POST \
  -H "Authorization: ApiKey $API_KEY" -H 'Content-Type: application/json' \
  --data-binary "@$WORK/cycle.json" "http://127.0.0.1:$PORT/elsa/api/workflow-definitions/execute" \
  >"$WORK/inflight.status" 2>/dev/null &
INFLIGHT=$!
sleep 0.5
begin "$MAIN_PID"
kill -TERM "$MAIN_PID"
for _ in $(seq 600); do kill -0 "$MAIN_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$MAIN_PID" 2>/dev/null; then
  M_T1=$(now); rc="still running after 60 s"
  kill -KILL "$MAIN_PID" || true
  wait "$MAIN_PID" 2>/dev/null || true
else
  M_T1=$(now); rc=0; wait "$MAIN_PID" || rc=$?
fi
wait "$INFLIGHT" || true
inflight=$(cat "$WORK/inflight.status" 2>/dev/null || true)
[ -s "$WORK/inflight.out" ] && inflight="$inflight, $(py incident "$WORK/inflight.out")"
ok=no; [ "$rc" = 0 ] && ok=yes
[ "$ok" = yes ] && mark=ok || { mark="**FAIL**"; FAILED=1; }
ROWS+=("| SIGTERM (a cycle's execute in flight, sent 0.5 s before) | exit code $rc; the in-flight execute got ${inflight:-no answer} | $(awk -v a="$M_T0" -v b="$M_T1" 'BEGIN { printf "%.2f s", b - a }') to exit | — | $mark |")
printf '%s\n' "${ROWS[-1]}" >&2

# ---------------------------------------------------------------------------------------------
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo
echo "elsa-server $BIN ($SOURCE $commit$(git -C "$ROOT" diff --quiet HEAD -- crates Cargo.toml Cargo.lock 2>/dev/null || echo ' with uncommitted changes')), $DATABASE; main server RSS at start $BASE_RSS MiB;"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, Linux $(uname -r)."
echo "Peak RSS is VmHWM, reset before each probe (/proc/PID/clear_refs); bound: +$MAX_GROWTH_MIB MiB per probe, +$MAX_RUN_GROWTH_MIB MiB for the runaway runs (4, 4b)."
if [ -n "$HEADERS_TIMEOUT" ]; then echo "Kestrel__Limits__RequestHeadersTimeout=$HEADERS_TIMEOUT s (the default is 30 s)."; fi
echo
echo "| probe | answer | wall time | RSS before → peak (MiB) | |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
exit "$FAILED"
