"""Starts a private simulator for the test session: a free port, an in-memory database, the
clock frozen and ids deterministic, so every run gives the same answers. Each test gets a
partner of its own (`POST /sim/partners`): its own PSA, integration and keys, so tests never
see each other's accounts, mappings or counts, even when they run side by side.

SYNTH_SIM_BIN names the simulator binary (default: `synthesize-sim` on the PATH).
"""
import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sim:
    """One partner's side, through the control API (`/sim`): every call names the partner, so
    billing, QA and the PSA are this partner's only."""

    def __init__(self, base, partner):
        self.base = base
        self.partner_id = partner["partnerId"]
        self.integration_id = partner["integrationId"]
        # What the partner hands the vendor: Connect and Generate API Token are already done.
        self.token = partner["gradientToken"]

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/sim" + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("X-Sim-Partner", self.partner_id)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def integration(self, path=""):
        return f"/integrations/{self.integration_id}{path}"


@pytest.fixture(scope="session")
def simulator():
    port = free_port()
    binary = os.environ.get("SYNTH_SIM_BIN", "synthesize-sim")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--db", ":memory:",
         "--clock", "2027-01-31T12:00:00.000Z", "--deterministic"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/sim/health", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the simulator did not start: " + proc.stderr.read().decode())
            time.sleep(0.05)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def create_partner(base, name):
    req = urllib.request.Request(base + "/sim/partners", data=json.dumps({"name": name}).encode(),
                                 method="POST")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture()
def new_partner(simulator):
    """Makes more partners, for tests about what one partner must never see of another."""
    return lambda name: Sim(simulator, create_partner(simulator, name))


@pytest.fixture()
def sim(new_partner, request):
    """A fresh partner for each test, made from the seed's template."""
    return new_partner(request.node.name)
