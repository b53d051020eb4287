"""Starts a private simulator for the test session: a free port, an in-memory database, the
clock frozen and ids deterministic, so every run gives the same answers.

SYNTH_SIM_BIN names the simulator binary (default: `synthesize-sim` on the PATH).
"""
import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

INTEGRATION = "65a0c0ffee0000000000f1a0"  # the seeded integration


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sim:
    """The partner's side, through the control API (`/sim`)."""

    def __init__(self, base):
        self.base = base
        self.integration_id = INTEGRATION

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/sim" + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def integration(self, path=""):
        return f"/integrations/{INTEGRATION}{path}"


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


@pytest.fixture()
def sim(simulator):
    """Each test starts from the seed."""
    s = Sim(simulator)
    s.call("POST", "/reset")
    return s
