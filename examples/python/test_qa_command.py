"""The one-command form: `synthesize-sim qa` starts its own simulator, plays the partner through
every QA step twice, runs the integration's own commands for the vendor's half, and exits 0 only
when the QA checklist passed. This is all a CI job needs; test_integration.py is the hand-written
form, for assertions of your own."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def test_the_integration_passes_gradients_qa_steps(tmp_path):
    binary = os.environ.get("SYNTH_SIM_BIN", "synthesize-sim")
    python = f'"{sys.executable}"'
    junit = tmp_path / "qa.xml"
    run = subprocess.run(
        [binary, "qa",
         "--connect", f"{python} integration.py connect",
         "--sync", f"{python} integration.py sync",
         "--junit", str(junit)],
        cwd=HERE, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "QA passed" in run.stdout
    assert "<testsuite name=\"QA round 2\"" in junit.read_text()
