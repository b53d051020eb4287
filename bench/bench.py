"""Benchmarks synthesize-sim against a ceiling and a peer, in one run on one machine, and prints
every figure as a ratio so that results compare across machines. Measures and prints; asserts
nothing. Loopback only; every load loop is bounded in count and time.

  ceiling: bench/ceiling, a minimal actix-web + rusqlite server doing the same two calls
           (one authenticated row read, one durable insert, same `synchronous` setting)
  peer:    Stoplight Prism serving the simulator's own /api-docs document

Called by bench/run.sh, which builds and installs what this needs.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

INTEGRATION = "65a0c0ffee0000000000f1a0"
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A process in its own group, stopped by its id."""

    def __init__(self, name, cmd, port, ready_path, log):
        self.name, self.cmd, self.port, self.ready_path = name, cmd, port, ready_path
        self.log = open(log, "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = t0 + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited at start (see {log})")
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", ready_path, headers=HEADERS.get(name, {}))
                r = c.getresponse()
                r.read()
                c.close()
                if r.status < 500:
                    break
            except OSError:
                pass
            if time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not answer within 60 s")
            time.sleep(0.001)
        self.startup_ms = (time.perf_counter() - t0) * 1000
        self.base = f"http://127.0.0.1:{port}"

    def rss_kb(self):
        """Resident memory of the process and its children (Prism runs node under a shell)."""
        pids, total = {self.proc.pid}, 0
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) in pids:
                            pids.add(int(d))
                except (OSError, IndexError, ValueError):
                    pass
        for pid in pids:
            try:
                with open(f"/proc/{pid}/status") as f:
                    total += int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
            except (OSError, AttributeError):
                pass
        return total

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


HEADERS = {}


class Client:
    """One keep-alive connection, timing each call."""

    def __init__(self, port, token=None):
        self.port = port
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token = token

    def call(self, method, path, body=None, raw=None):
        try:
            return self._call(method, path, body, raw)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed an idle keep-alive connection: once more on a new one.
            self.c.close()
            self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return self._call(method, path, body, raw)

    def _call(self, method, path, body, raw):
        headers = {}
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["GRADIENT-TOKEN"] = self.token
        t0 = time.perf_counter()
        self.c.request(method, path, body=data, headers=headers)
        r = self.c.getresponse()
        text = r.read()
        ms = (time.perf_counter() - t0) * 1000
        if r.status >= 400:
            raise RuntimeError(f"{method} {path}: {r.status} {text[:300]!r}")
        return (json.loads(text) if text and text[:1] in b"[{" else None), ms


def wrk(url, seconds, threads, conns, token, script=None, env=None):
    args = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "5s", "--latency",
            "-H", f"GRADIENT-TOKEN: {token}"]
    if script:
        args += ["-s", script]
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds + 30,
                         env={**os.environ, **(env or {})}).stdout

    def lat(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": lat(50), "p99": lat(99), "requests": total,
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "errors": errors.group(1) if errors else ""}


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def load_avg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def setup(sim, accounts_total, body_bytes):
    """Drives the simulator (large seed) to a mapped integration, timing the bulk account
    sync while another thread polls /sim/health. Returns (token, service, account, facts)."""
    c = Client(sim.port)
    sim_path = f"/sim/integrations/{INTEGRATION}"
    c.call("POST", sim_path + "/disconnect")
    c.call("POST", sim_path + "/connect")
    token = c.call("POST", sim_path + "/token")[0]["gradientToken"]
    v = Client(sim.port, token)
    vendor, _ = v.call("POST", "/api/vendor-api/service", {
        "name": "Endpoint Protection", "description": "per endpoint",
        "category": "security", "subcategory": "endpoint detection and response (EDR)"})
    service = vendor["skus"][-1]["id"]
    companies = c.call("GET", "/sim/psa")[0]["companies"]
    names = [co["name"] for co in companies]
    accounts = [{"id": f"acct-{i:05d}", "name": names[i] if i < len(names) else f"Bench Account {i:05d}"}
                for i in range(accounts_total)]
    bodies, cur, size = [], [], 2
    for a in accounts:
        item = json.dumps(a)
        if cur and size + len(item) + 1 > body_bytes:
            bodies.append(("[" + ",".join(cur) + "]").encode())
            cur, size = [], 2
        cur.append(item)
        size += len(item) + 1
    if cur:
        bodies.append(("[" + ",".join(cur) + "]").encode())

    health, stop = [], threading.Event()

    def poll():
        h = Client(sim.port)
        end = time.time() + 60
        while not stop.is_set() and time.time() < end:
            health.append(h.call("GET", "/sim/health")[1])
            time.sleep(0.005)

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.05)
    t0 = time.perf_counter()
    for b in bodies:
        v.call("POST", "/api/vendor-api/organization/accounts", raw=b)
    sync_s = time.perf_counter() - t0
    stop.set()
    t.join()
    v.call("PATCH", "/api/vendor-api/organization/status/pending")
    _, automap_ms = c.call("POST", sim_path + "/step", {"step": "account_mapping"})
    products = c.call("GET", sim_path + "/mappings")[0]["psaProducts"]
    edr = next(p["id"] for p in products if p["productCode"] == "SEC-EDR")
    c.call("PUT", sim_path + f"/mappings/services/{service}", {"psaProductIds": [edr]})
    c.call("POST", sim_path + "/finish")
    # One count per mapped account (the first len(names) accounts carry a company's name).
    t0 = time.perf_counter()
    mapped = min(len(names), accounts_total)
    for i in range(mapped):
        v.call("POST", f"/api/vendor-api/service/{service}/count?no_build=true",
               {"accountId": f"acct-{i:05d}", "unitCount": 1 + i % 300})
    counts_s = time.perf_counter() - t0
    # The rebuild alone (its answer filtered to no card), and with the whole 10,000-card view sent.
    rebuilds = [c.call("POST", "/sim/billing/rebuild?vendorId=none")[1] for _ in range(5)]
    rebuilds_full = [c.call("POST", "/sim/billing/rebuild")[1] for _ in range(5)]
    _, mappings_ms = c.call("GET", sim_path + "/mappings")
    _, billing_ms = c.call("GET", "/sim/billing")
    _, accounts_ms = v.call("GET", "/api/vendor-api/organization/accounts")
    facts = {
        "accounts": accounts_total, "bodies": len(bodies), "body_kb": max(len(b) for b in bodies) / 1024,
        "sync_s": sync_s, "health_n": len(health), "health_max_ms": max(health) if health else None,
        "health_p99_ms": pct(health, 99) if health else None, "automap_ms": automap_ms,
        "mapped_counts": mapped, "counts_s": counts_s, "rebuild_ms": statistics.median(rebuilds),
        "rebuild_full_ms": statistics.median(rebuilds_full),
        "mappings_ms": mappings_ms, "billing_ms": billing_ms, "accounts_get_ms": accounts_ms,
    }
    return token, service, "acct-00000", facts


def setup_routes(sim, token):
    """Partners of their own for the routes whose figures depend on how many accounts the
    integration holds (lists of 10 and 1,000; the account writes), then a snapshot of it all,
    restored after each run that grows the state."""
    c = Client(sim.port)
    made = {}
    for name, n in [("list10", 10), ("list1000", 1000), ("writer", 0)]:
        p = c.call("POST", "/sim/partners", {"name": f"Bench {name}"})[0]
        made[name] = p["gradientToken"]
        v = Client(sim.port, p["gradientToken"])
        accounts = [{"id": f"acct-{i:05d}", "name": f"Bench Account {i:05d}"} for i in range(n)]
        for i in range(0, n, 500):
            v.call("POST", "/api/vendor-api/organization/accounts", accounts[i:i + 500])
    t0 = time.perf_counter()
    c.call("POST", "/sim/snapshots", {"name": "bench"})
    save_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    c.call("POST", "/sim/snapshots/bench/restore")
    restore_ms = (time.perf_counter() - t0) * 1000
    return {"tokens": {"main": token, **made}, "runs": 0,
            "facts": {"snapshot_save_ms": save_ms, "snapshot_restore_ms": restore_ms}}


def restore(sim, routes):
    Client(sim.port).call("POST", "/sim/snapshots/bench/restore")


ALERT = json.dumps({"title": "Disk full", "description": "C: at 98%", "alertId": "bench-alert", "priority": 2,
                    "status": 1})
SERVICE = json.dumps({"name": "Endpoint Protection", "description": "per endpoint", "category": "security",
                      "subcategory": "endpoint detection and response (EDR)"})


def route_cells(sim, ceiling, routes, service, account):
    """One entry per measured call: who serves it, the wrk script and its environment, the
    ceiling call it is a ratio to, and whether the run grows the state (restored after)."""
    api = "/api/vendor-api"
    call_lua, accounts_lua, count_lua = (os.path.join(HERE, f) for f in ("call.lua", "accounts.lua", "count.lua"))
    cells = [
        dict(key="ceiling_list1000", label="ceiling: list read (1,000 rows)", target="ceiling", server=ceiling,
             path="/list/1000", token="main", ref="ceiling_get"),
        dict(key="ceiling_batch100", label="ceiling: batch insert (100 rows)", target="ceiling", server=ceiling,
             path=api + "/organization/accounts", token="main", script=accounts_lua, env={"BATCH": "100"},
             ref="ceiling_post"),
        dict(key="sim_org", label="GET /organization", path=api + "/organization", ref="ceiling_get"),
        dict(key="sim_list10", label="GET /organization/accounts (10)", path=api + "/organization/accounts",
             token="list10", ref="ceiling_get"),
        dict(key="sim_list1000", label="GET /organization/accounts (1,000)", path=api + "/organization/accounts",
             token="list1000", ref="ceiling_list1000"),
        dict(key="sim_accounts1", label="POST /organization/accounts (1)", path=api + "/organization/accounts",
             token="writer", script=accounts_lua, env={"BATCH": "1"}, ref="ceiling_post", grows=True),
        dict(key="sim_accounts100", label="POST /organization/accounts (100)", path=api + "/organization/accounts",
             token="writer", script=accounts_lua, env={"BATCH": "100"}, ref="ceiling_batch100", grows=True),
        dict(key="sim_status", label="PATCH /organization/status/pending", path=api + "/organization/status/pending",
             script=call_lua, env={"METHOD": "PATCH"}, ref="ceiling_post"),
        dict(key="sim_service", label="POST /service (an existing name)", path=api + "/service", script=call_lua,
             env={"METHOD": "POST", "BODY": SERVICE}, ref="ceiling_post", grows=True, short=True),
        dict(key="sim_post_no_build", label="POST count ?no_build=true", path=f"{api}/service/{service}/count?no_build=true",
             script=count_lua, env={"ACCOUNT": account}, ref="ceiling_post"),
        dict(key="sim_alert", label="POST /alerting/{accountId}", path=f"{api}/alerting/{account}", script=call_lua,
             env={"METHOD": "POST", "BODY": ALERT}, ref="ceiling_post", grows=True),
    ]
    for cell in cells:
        cell.setdefault("target", "sim")
        cell.setdefault("server", sim)
        cell.setdefault("token", "main")
        cell.setdefault("script", None)
        cell.setdefault("env", {})
        cell.setdefault("grows", False)
        cell.setdefault("short", False)
        cell["warm"] = not cell["short"]
        cell["sim"] = sim
    return cells


def run_cell(cell, seconds, a, routes):
    routes["runs"] += 1
    env = {**cell["env"], "RUN": f"r{routes['runs']}"}
    if cell["short"]:
        seconds = min(seconds, a.service_duration)
    res = wrk(cell["server"].base + cell["path"], seconds, a.threads, a.connections, routes["tokens"][cell["token"]],
              cell["script"], env)
    if cell["grows"]:
        t0 = time.perf_counter()
        restore(cell["sim"], routes)
        res["restore_ms"] = (time.perf_counter() - t0) * 1000
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sim", required=True)
    ap.add_argument("--ceiling", help="path of the ceiling server; needed unless --only seed")
    ap.add_argument("--prism", help="path of the prism executable; omitted: no peer")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--calls", type=int, default=100_000, help="vendor calls made before timing /sim/qa")
    ap.add_argument("--json", help="also write the raw figures here")
    ap.add_argument("--service-duration", type=int, default=1, help="seconds of POST /service per round: each "
                    "call adds a service, and the answer carries every one")
    ap.add_argument("--sync-accounts", type=int, default=100_000, help="accounts of --only sync")
    ap.add_argument("--only", choices=["seed", "sync"], help="sync: a large sync and the bulk card actions alone "
                    "(see sync_run); seed: only start-up and POST /sim/reset (large and default "
                    "seeds), without load, ceiling or peer")
    ap.add_argument("--resets", type=int, default=5, help="POST /sim/reset calls timed")
    ap.add_argument("--starts", type=int, default=3, help="start-ups timed, of each kind")
    a = ap.parse_args()
    if not a.only and not a.ceiling:
        ap.error("--ceiling is needed unless --only seed")
    work = tempfile.mkdtemp(prefix="synthesize-sim-bench-")
    if a.only == "sync":
        return sync_run(a, work)
    count_lua = os.path.join(HERE, "count.lua")
    out = {"load_before": load_avg(), "cores": os.cpu_count()}
    servers = []

    def sim_cmd(db, port, *extra):
        return [a.sim, "--port", str(port), "--db", db, "--seed", "large", "--rate-limit", "0", *extra]

    try:
        # Start-up: cold (creates and seeds the large database), then warm (opens it).
        db = os.path.join(work, "sim.db")
        cold, warm = [], []
        for i in range(a.starts):
            for ext in ("", "-wal", "-shm"):
                if os.path.exists(db + ext):
                    os.remove(db + ext)
            port = free_port()
            s = Server("sim", sim_cmd(db, port), port, "/sim/health", os.path.join(work, "sim.log"))
            cold.append(s.startup_ms)
            s.stop()
        for i in range(a.starts):
            port = free_port()
            s = Server("sim", sim_cmd(db, port), port, "/sim/health", os.path.join(work, "sim.log"))
            warm.append(s.startup_ms)
            if i < a.starts - 1:
                s.stop()
        sim = s
        servers.append(sim)
        # The default seed (flamingo): a first start and resets, on its own database.
        ddb = os.path.join(work, "default.db")
        dcold = []
        for i in range(a.starts):
            for ext in ("", "-wal", "-shm"):
                if os.path.exists(ddb + ext):
                    os.remove(ddb + ext)
            port = free_port()
            d = Server("sim", [a.sim, "--port", str(port), "--db", ddb, "--quiet"], port, "/sim/health",
                       os.path.join(work, "sim-default.log"))
            dcold.append(d.startup_ms)
            if i == a.starts - 1:
                dc = Client(d.port)
                out["default_reset_ms_median"] = statistics.median(dc.call("POST", "/sim/reset")[1]
                                                                   for _ in range(a.resets))
            d.stop()
        out["default_startup_cold_ms"] = statistics.median(dcold)
        time.sleep(1)
        out["startup_cold_ms"], out["startup_warm_ms"] = statistics.median(cold), statistics.median(warm)
        out["startup_cold"], out["startup_warm"] = cold, warm
        out["sim_idle_rss_kb"] = sim.rss_kb()
        if a.only == "seed":
            # Resets on the state the seed left, one after another (the full run times them after
            # its load, on a database that has grown).
            q = Client(sim.port)
            out["reset_ms"] = [q.call("POST", "/sim/reset")[1] for _ in range(a.resets)]
            out["reset_ms_median"] = statistics.median(out["reset_ms"])
            out["load_after"] = load_avg()
            return finish(out, a, work, servers, report_seed)

        token, service, account, facts = setup(sim, 10_000, 100 * 1024)
        out["setup"] = facts
        HEADERS["ceiling"] = {"GRADIENT-TOKEN": token}

        cport = free_port()
        ceiling = Server("ceiling", [a.ceiling, "--port", str(cport), "--db", os.path.join(work, "ceiling.db"),
                                     "--token", token], cport, "/api/vendor-api", os.path.join(work, "ceiling.log"))
        servers.append(ceiling)
        out["ceiling_startup_ms"] = ceiling.startup_ms
        time.sleep(1)
        out["ceiling_idle_rss_kb"] = ceiling.rss_kb()

        targets = [("ceiling", ceiling), ("sim", sim)]
        if a.prism:
            # The simulator's own vendor API document, as a user would hand it to Prism.
            doc = os.path.join(work, "vendor-api.json")
            with open(doc, "wb") as f:
                c = http.client.HTTPConnection("127.0.0.1", sim.port)
                c.request("GET", "/api-docs/openapi.json")
                f.write(c.getresponse().read())
            pport = free_port()
            HEADERS["prism"] = {"GRADIENT-TOKEN": token}
            prism = Server("prism", [a.prism, "mock", "-h", "127.0.0.1", "-p", str(pport), "-v", "silent", doc],
                           pport, "/api/vendor-api", os.path.join(work, "prism.log"))
            servers.append(prism)
            out["prism_startup_ms"] = prism.startup_ms
            time.sleep(1)
            out["prism_idle_rss_kb"] = prism.rss_kb()
            targets.append(("prism", prism))

        # Every vendor route a sync uses, each beside the ceiling call it is measured against.
        routes = setup_routes(sim, token)
        out["routes_setup"] = routes["facts"]
        cells = route_cells(sim, ceiling, routes, service, account)
        # Warm-up, then rounds that rotate the order, so drift in the machine's load hits all alike.
        count_env = {"ACCOUNT": account}
        post_path = f"/api/vendor-api/service/{service}/count"
        sim_calls = facts["mapped_counts"] + facts["bodies"]
        for name, s in targets:
            wrk(s.base + "/api/vendor-api", 3, a.threads, a.connections, token)
            r = wrk(s.base + post_path, 3, a.threads, a.connections, token, count_lua, count_env)
            if name == "sim":
                sim_calls += r["requests"]
        for cell in cells:
            if cell["warm"]:
                run_cell(cell, 2, a, routes)
        runs = {f"{n}_{k}": [] for n, _ in targets for k in ("get", "post")}
        runs["sim_health"] = []
        runs.update({cell["key"]: [] for cell in cells})
        out["load_during"] = []
        for r in range(a.rounds):
            order = targets[r % len(targets):] + targets[:r % len(targets)]
            for name, s in order:
                runs[f"{name}_get"].append(wrk(s.base + "/api/vendor-api", a.duration, a.threads, a.connections, token))
            for name, s in order:
                res = wrk(s.base + post_path, a.duration, a.threads, a.connections, token, count_lua, count_env)
                runs[f"{name}_post"].append(res)
                if name == "sim":
                    sim_calls += res["requests"]
            runs["sim_health"].append(wrk(sim.base + "/sim/health", a.duration, a.threads, a.connections, token))
            rotated = cells[r % len(cells):] + cells[:r % len(cells)]
            for cell in rotated:
                res = run_cell(cell, a.duration, a, routes)
                runs[cell["key"]].append(res)
                if cell["target"] == "sim":
                    sim_calls += res["requests"]
            out["load_during"].append(load_avg())
        out["runs"] = runs
        out["cells"] = [{k: v for k, v in c.items() if k in ("key", "label", "ref", "target")} for c in cells]
        restore(sim, routes)

        # /sim/qa after at least --calls vendor calls (bounded: at most 120 s more of load).
        deadline = time.time() + 120
        while sim_calls < a.calls and time.time() < deadline:
            res = wrk(sim.base + post_path + "?no_build=true", 10, a.threads, a.connections, token, count_lua,
                      count_env)
            sim_calls += res["requests"]
        out["sim_calls_before_qa"] = sim_calls
        time.sleep(2.5)  # let the debounced rebuild run, as the console would see it
        q = Client(sim.port)
        qa = [q.call("GET", "/sim/qa")[1] for _ in range(200)]
        out["qa_ms_median"], out["qa_ms_p99"] = statistics.median(qa), pct(qa, 99)
        rep = [q.call("GET", "/sim/qa/report")[1] for _ in range(20)]
        out["qa_report_ms_median"] = statistics.median(rep)
        j = [q.call("GET", "/sim/journal")[1] for _ in range(20)]
        out["journal_ms_median"] = statistics.median(j)
        out["sim_loaded_rss_kb"] = sim.rss_kb()
        out["ceiling_loaded_rss_kb"] = ceiling.rss_kb()
        # What each part of a vendor call costs: the same GET with the journal off, with the rate
        # limit on (at a limit the load never reaches), and without the line each call prints,
        # each on a restarted simulator. benches/parts.rs times the parts one by one.
        # One server per database file: the parts' servers open it after this one stops.
        sim.stop()
        out["parts"] = {}
        for label, extra in [("journal off", ["--journal-size", "0"]),
                             ("rate limit on", ["--rate-limit", "10000000"]),
                             ("terminal lines off (--quiet)", ["--quiet"])]:
            port = free_port()
            cmd = sim_cmd(db, port)
            cmd = cmd[:cmd.index("--rate-limit")] + extra + (["--rate-limit", "0"] if "rate" not in label else [])
            part = Server("sim", cmd, port, "/sim/health", os.path.join(work, "sim-part.log"))
            try:
                out["parts"][label] = [wrk(part.base + "/api/vendor-api", a.duration, a.threads, a.connections, token)
                                       for _ in range(a.rounds)]
            finally:
                part.stop()
        # Resets on the database the load left, on a server of its own again.
        port = free_port()
        again = Server("sim", sim_cmd(db, port), port, "/sim/health", os.path.join(work, "sim.log"))
        servers.append(again)
        q = Client(again.port)
        out["reset_ms"] = [q.call("POST", "/sim/reset")[1] for _ in range(a.resets)]
        out["reset_ms_median"] = statistics.median(out["reset_ms"])
        out["load_after"] = load_avg()
    except BaseException:
        finish(None, a, work, servers, None)
        raise
    return finish(out, a, work, servers, report)


def finish(out, a, work, servers, report_with):
    """Stops the servers, removes the run's files, then prints (and keeps) the figures."""
    for s in servers:
        s.stop()
    # The databases and logs reach hundreds of MB after the load.
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(work, ignore_errors=True)
    if out is None:
        return 1
    report_with(out, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


def vm_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1))


def sync_run(a, work):
    """A vendor's first sync at a large MSP's size, on the large seed: --sync-accounts accounts
    in bodies of 1,000 (POST /organization/accounts), their auto-map, the account mapping
    page's data, then 1,000 service cards approved and 1,000 dismissed with one bulk call each.
    Memory is the server's peak resident size (VmHWM) since its start, seed included."""
    out = {"load_before": load_avg(), "cores": os.cpu_count(), "accounts": a.sync_accounts}
    port = free_port()
    sim = Server("sim", [a.sim, "--port", str(port), "--db", os.path.join(work, "sync.db"), "--seed", "large",
                         "--rate-limit", "0", "--quiet"], port, "/sim/health", os.path.join(work, "sync.log"))
    try:
        c = Client(sim.port)
        sim_path = f"/sim/integrations/{INTEGRATION}"
        c.call("POST", sim_path + "/disconnect")
        c.call("POST", sim_path + "/connect")
        v = Client(sim.port, c.call("POST", sim_path + "/token")[0]["gradientToken"])
        vendor, _ = v.call("POST", "/api/vendor-api/service", json.loads(SERVICE))
        service = vendor["skus"][-1]["id"]
        names = [co["name"] for co in c.call("GET", "/sim/psa")[0]["companies"]]
        out["rss_start_kb"] = vm_kb(sim.proc.pid, "VmRSS")
        bodies = []
        for start in range(0, a.sync_accounts, 1000):
            bodies.append(json.dumps([{"id": f"acct-{i:06d}", "name": names[i] if i < len(names) else
                                       f"Bench Account {i:06d}"}
                                      for i in range(start, min(start + 1000, a.sync_accounts))]).encode())
        times, samples, stop = [], [], threading.Event()

        def sample():
            while not stop.is_set():
                samples.append(vm_kb(sim.proc.pid, "VmRSS"))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        t0 = time.perf_counter()
        for b in bodies:
            times.append(v.call("POST", "/api/vendor-api/organization/accounts", raw=b)[1])
        out["sync_s"] = time.perf_counter() - t0
        stop.set()
        sampler.join()
        out["rss_sync_max_kb"] = max(samples)
        out["hwm_after_sync_kb"] = vm_kb(sim.proc.pid, "VmHWM")
        out["batch_ms_median"], out["batch_ms_max"] = statistics.median(times), max(times)
        out["rss_after_sync_kb"] = vm_kb(sim.proc.pid, "VmRSS")
        v.call("PATCH", "/api/vendor-api/organization/status/pending")
        out["automap_ms"] = c.call("POST", sim_path + "/step", {"step": "account_mapping"})[1]
        # What the console's account mapping step asks now (timed before the whole view, so its
        # "first" is cold): the first page of 60, the PSA side without the accounts, a search.
        page, out["page_ms"] = c.call("GET", sim_path + "/mappings/accounts?limit=60")
        out["page_ms_again"] = c.call("GET", sim_path + "/mappings/accounts?limit=60")[1]
        out["page_total"] = page["total"]
        out["psa_side_ms"] = c.call("GET", sim_path + "/mappings?accounts=false")[1]
        out["search_ms"] = c.call("GET", sim_path + "/mappings/accounts?limit=60&q=account%20099999")[1]
        mappings, out["mappings_ms"] = c.call("GET", sim_path + "/mappings")
        out["mappings_ms_again"] = c.call("GET", sim_path + "/mappings")[1]
        out["mapped"] = sum(1 for m in mappings["accounts"] if m.get("psaAccountId") or m.get("mapped"))
        products = mappings["psaProducts"]
        edr = next(p["id"] for p in products if p["productCode"] == "SEC-EDR")
        c.call("PUT", sim_path + f"/mappings/services/{service}", {"psaProductIds": [edr]})
        c.call("POST", sim_path + "/finish")
        for i in range(min(len(names), a.sync_accounts)):
            v.call("POST", f"/api/vendor-api/service/{service}/count?no_build=true",
                   {"accountId": f"acct-{i:06d}", "unitCount": 1 + i % 300})
        cards = c.call("POST", "/sim/billing/rebuild")[0]["cards"]
        usage = [x["id"] for x in cards if x["vendorQuantity"] is not None][:1000]
        psa_only = [x["id"] for x in cards if x["vendorQuantity"] is None][:1000]
        out["approve_n"], out["dismiss_n"] = len(usage), len(psa_only)
        out["approve_ms"] = c.call("POST", "/sim/billing/bulk", {"action": "approve", "cardIds": usage})[1]
        out["dismiss_ms"] = c.call("POST", "/sim/billing/bulk", {"action": "dismiss", "cardIds": psa_only})[1]
        out["rss_end_kb"] = vm_kb(sim.proc.pid, "VmRSS")
        out["rss_peak_kb"] = vm_kb(sim.proc.pid, "VmHWM")
        out["load_after"] = load_avg()
    finally:
        sim.stop()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    o = out
    print()
    print(f"synthesize-sim sync at scale (large seed, rate limit off): {o['cores']} cores; load average before "
          f"{o['load_before']}, after {o['load_after']}")
    for k, v in [
        (f"{o['accounts']:,} accounts in {len(bodies)} bodies of 1,000 (POST /organization/accounts)",
         f"{o['sync_s']:.2f} s (a body: median {o['batch_ms_median']:.0f} ms, max {o['batch_ms_max']:.0f} ms)"),
        ("server memory (RSS): before the sync / its most during it (every 10 ms) / after",
         f"{o['rss_start_kb'] / 1024:.0f} / {o['rss_sync_max_kb'] / 1024:.0f} / {o['rss_after_sync_kb'] / 1024:.0f} MB"),
        ("server's peak RSS (VmHWM, seed included): after the sync / at the end",
         f"{o['hwm_after_sync_kb'] / 1024:.0f} / {o['rss_peak_kb'] / 1024:.0f} MB"),
        ("auto-map on entering account mapping", f"{o['automap_ms']:.0f} ms"),
        (f"account mapping's first page of 60 ({o['page_total']:,} accounts), first / again",
         f"{o['page_ms']:.0f} / {o['page_ms_again']:.0f} ms"),
        ("its PSA side (mappings?accounts=false) / a search (q=account 099999)",
         f"{o['psa_side_ms']:.0f} / {o['search_ms']:.0f} ms"),
        ("the whole view, every account (GET mappings), first / again",
         f"{o['mappings_ms']:.0f} / {o['mappings_ms_again']:.0f} ms"),
        (f"bulk approve of {o['approve_n']:,} cards (one call)", f"{o['approve_ms']:.0f} ms"),
        (f"bulk dismiss of {o['dismiss_n']:,} cards (one call)", f"{o['dismiss_ms']:.0f} ms"),
    ]:
        print(f"  {k:72} {v}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


def report_seed(o, a):
    print()
    print(f"synthesize-sim start-up and reset: {o['cores']} cores; load average before {o['load_before']}, "
          f"after {o['load_after']}")
    for k, v in [
        ("large seed: start-up, fresh database (creates, seeds, rebuilds)",
         f"median {o['startup_cold_ms']:.0f} ms  ({', '.join(f'{x:.0f}' for x in o['startup_cold'])})"),
        ("large seed: start-up, existing database",
         f"median {o['startup_warm_ms']:.0f} ms  ({', '.join(f'{x:.0f}' for x in o['startup_warm'])})"),
        ("large seed: POST /sim/reset (reseed + rebuild)",
         f"median {o['reset_ms_median']:.0f} ms  ({', '.join(f'{x:.0f}' for x in o['reset_ms'])})"),
        ("default seed: start-up, fresh database / POST /sim/reset",
         f"{o['default_startup_cold_ms']:.0f} ms / median {o['default_reset_ms_median']:.1f} ms"),
    ]:
        print(f"  {k:66} {v}")


def report(o, a):
    med = lambda runs, k: statistics.median(r[k] for r in runs if r[k] is not None)
    runs = o["runs"]
    print()
    print(f"synthesize-sim benchmark: {o['cores']} cores; wrk -t{a.threads} -c{a.connections} -d{a.duration}s, "
          f"{a.rounds} alternating rounds, medians; load average before {o['load_before']}, "
          f"during {', '.join(o['load_during'])}, after {o['load_after']}")
    print()
    refs = {"ceiling_get": "row read", "ceiling_post": "insert", "ceiling_list1000": "list read",
            "ceiling_batch100": "batch insert"}
    print(f"{'':38} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'÷ ceiling':>9} {'of':>12} {'target':>7} "
          f"{'÷ Prism':>8} {'non-2xx':>8}")
    has_prism = "prism_get" in runs
    for label, key, base, target in [
        ("ceiling: row read", "ceiling_get", "ceiling_get", ""),
        ("ceiling: list read (1,000 rows)", "ceiling_list1000", "ceiling_get", ""),
        ("ceiling: insert (sync=NORMAL)", "ceiling_post", "ceiling_post", ""),
        ("ceiling: batch insert (100 rows)", "ceiling_batch100", "ceiling_post", ""),
        ("GET /api/vendor-api", "sim_get", "ceiling_get", ">= 0.8"),
        ("GET /organization", "sim_org", "ceiling_get", ">= 0.6"),
        ("GET /organization/accounts (10)", "sim_list10", "ceiling_get", ">= 0.5"),
        ("GET /organization/accounts (1,000)", "sim_list1000", "ceiling_list1000", "p99<20"),
        ("POST /organization/accounts (1)", "sim_accounts1", "ceiling_post", ">= 0.8"),
        ("POST /organization/accounts (100)", "sim_accounts100", "ceiling_batch100", ">= 0.8"),
        ("PATCH /organization/status/pending", "sim_status", "ceiling_post", ">= 0.8"),
        ("POST /service (an existing name)", "sim_service", "ceiling_post", ">= 0.8"),
        ("POST /service/{id}/count", "sim_post", "ceiling_post", ">= 1.0"),
        ("POST /service/{id}/count?no_build=true", "sim_post_no_build", "ceiling_post", ">= 1.0"),
        ("POST /alerting/{accountId}", "sim_alert", "ceiling_post", ">= 0.8"),
        ("Prism: GET /api/vendor-api", "prism_get", "ceiling_get", ""),
        ("Prism: POST count", "prism_post", "ceiling_post", ""),
        ("GET /sim/health (no auth)", "sim_health", "ceiling_get", ""),
    ]:
        if key not in runs or not runs[key]:
            continue
        rps = med(runs[key], "rps")
        peer = key.replace("sim_post_no_build", "sim_post").replace("sim_", "prism_")
        vs_prism = (f"{rps / med(runs[peer], 'rps'):8.1f}x" if has_prism and key.startswith("sim_")
                    and peer in runs else f"{'':>9}")
        print(f"{label:38} {rps:9.0f} {med(runs[key], 'p50'):7.2f} {med(runs[key], 'p99'):7.2f} "
              f"{rps / med(runs[base], 'rps'):8.2f}x {refs[base]:>12} {target:>7} {vs_prism} "
              f"{sum(r['non2xx'] for r in runs[key]):8}")
    print(f"(POST /service runs {a.service_duration} s a round: every call adds a service, and the answer "
          "carries every one. Runs that grow the state are followed by a restore of the same snapshot.)")
    base_get = med(runs["sim_get"], "rps")
    print()
    print("what a vendor GET spends (µs of wall time per request at saturation, 1/rate; 2 cores):")
    print(f"  {'GET /sim/health: routing, one read, JSON':52} {1e6 / med(runs['sim_health'], 'rps'):6.1f} µs")
    print(f"  {'GET /api/vendor-api, as run above':52} {1e6 / base_get:6.1f} µs")
    for label, rs in o.get("parts", {}).items():
        r = med(rs, "rps")
        print(f"  {'GET /api/vendor-api, ' + label:52} {1e6 / r:6.1f} µs ({r:.0f} req/s)")
    s = o["setup"]
    print()
    print("large seed (1,000 companies, 10,000 contract lines, 50 products):")
    rows = [
        ("start-up, fresh database (creates, seeds, rebuilds)", f"{o['startup_cold_ms']:.0f} ms"),
        ("start-up, existing database", f"{o['startup_warm_ms']:.0f} ms  (ceiling: {o['ceiling_startup_ms']:.0f} ms"
         + (f", Prism: {o['prism_startup_ms']:.0f} ms)" if "prism_startup_ms" in o else ")")),
        ("idle memory", f"{o['sim_idle_rss_kb'] / 1024:.1f} MB  (ceiling: {o['ceiling_idle_rss_kb'] / 1024:.1f} MB"
         + (f", Prism: {o['prism_idle_rss_kb'] / 1024:.1f} MB)" if "prism_idle_rss_kb" in o else ")")),
        ("memory after the load", f"{o['sim_loaded_rss_kb'] / 1024:.1f} MB"),
        (f"{s['accounts']:,} accounts in {s['bodies']} bodies of <= {s['body_kb']:.0f} KB", f"{s['sync_s'] * 1000:.0f} ms"),
        ("/sim/health during that sync", f"max {s['health_max_ms']:.1f} ms, p99 {s['health_p99_ms']:.1f} ms "
         f"({s['health_n']} polls)"),
        ("auto-map on entering account mapping", f"{s['automap_ms']:.0f} ms"),
        (f"{s['mapped_counts']:,} counts, one call each, sequential", f"{s['counts_s'] * 1000:.0f} ms"),
        ("billing rebuild (POST /sim/billing/rebuild, no card sent)", f"{s['rebuild_ms']:.0f} ms"),
        ("the same, answering with all 10,000 cards", f"{s['rebuild_full_ms']:.0f} ms"),
        ("GET /sim/billing (every card)", f"{s['billing_ms']:.0f} ms"),
        ("GET mappings (10,000 accounts)", f"{s['mappings_ms']:.0f} ms"),
        ("GET /organization/accounts (10,000)", f"{s['accounts_get_ms']:.0f} ms"),
        (f"GET /sim/qa after {o['sim_calls_before_qa']:,} vendor calls", f"median {o['qa_ms_median']:.2f} ms, "
         f"p99 {o['qa_ms_p99']:.2f} ms"),
        ("GET /sim/qa/report", f"median {o['qa_report_ms_median']:.2f} ms"),
        ("GET /sim/journal (200 newest)", f"median {o['journal_ms_median']:.2f} ms"),
        ("POST /sim/reset (reseed + rebuild)", f"median {o['reset_ms_median']:.0f} ms"),
        ("default seed: start-up, fresh database / POST /sim/reset",
         f"{o['default_startup_cold_ms']:.0f} ms / median {o['default_reset_ms_median']:.1f} ms"),
    ]
    for k, v in rows:
        print(f"  {k:52} {v}")


if __name__ == "__main__":
    sys.exit(main())
