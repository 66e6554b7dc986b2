"""vms-sim-launch, the launcher every test starts vms-sim with: the facts it prints, the
signals it passes on, the simulator's exit status as its own, the run directory removed,
a caller's death stopping the simulator, and refusals. Against the real vms-sim and, for
what vms-sim never does (hang before its port file, exit 7 on SIGTERM), a stand-in.

Environment: VMS_SIM; VMS_SIM_LAUNCH (else the launcher beside VMS_SIM).
"""

import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

VMS_SIM = os.environ.get("VMS_SIM", "")
LAUNCH = os.environ.get("VMS_SIM_LAUNCH") or os.path.join(os.path.dirname(VMS_SIM), "vms-sim-launch")
BOUND_S = 20

# A stand-in simulator: writes its argv to its log, the port file once STUB_DELAY_S has
# passed, and exits STUB_EXIT on SIGTERM.
STUB = textwrap.dedent("""\
    #!/bin/bash
    echo "stub argv: $*"
    while [[ $# -gt 0 ]]; do [[ $1 == --port-file ]] && pf=$2; shift; done
    trap 'echo "stub: SIGTERM"; exit "${STUB_EXIT:-0}"' TERM
    sleep "${STUB_DELAY_S:-0}"
    echo '{"http": 1}' >"$pf.tmp" && mv "$pf.tmp" "$pf"
    while true; do sleep 0.05; done
    """)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open("/proc/%d/stat" % pid) as f:  # a zombie is not running
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


class Launched:
    """One launcher run: its process, the facts it printed, its stderr."""

    def __init__(self, *args, env=None):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([LAUNCH, "--sim", VMS_SIM] + list(args), stdout=subprocess.PIPE,
                                     stderr=self.err, env=env)
        out = self.proc.stdout.read().decode()  # to EOF: the launcher closes stdout after the facts
        self.proc.stdout.close()
        self.facts = {}
        for line in out.splitlines():
            key, _, value = line.partition("=")
            self.facts[key] = value[1:-1]  # 'VALUE'

    def wait(self):
        rc = self.proc.wait(BOUND_S)
        self.err.seek(0)
        self.stderr = self.err.read().decode(errors="replace")
        self.err.close()
        return rc

    def close(self):
        """After a failed test: the simulator by PID, then the launcher."""
        if self.proc.poll() is None:
            if "VMS_SIM_PID" in self.facts:
                os.kill(int(self.facts["VMS_SIM_PID"]), signal.SIGKILL)
            self.proc.wait(BOUND_S)
        if not self.err.closed:
            self.err.close()

    @property
    def run_dir(self):
        return os.path.dirname(self.facts["VMS_SIM_DIR"])


class LauncherTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vms-sim-launch-test.")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def launch(self, *args, **kw):
        run = Launched(*args, **kw)
        self.addCleanup(run.close)
        return run

    def stub(self, **env):
        path = os.path.join(self.tmp, "stub-sim")
        with open(path, "w") as f:
            f.write(STUB)
        os.chmod(path, 0o755)
        return path, dict(os.environ, **env)

    def test_facts_then_sigterm_exit_0_and_nothing_left(self):
        run = self.launch("--listen", "http", "--listen", "https", "--", "--seed")
        f = run.facts
        self.assertEqual(set(f), {"VMS_SIM_PID", "VMS_SIM_HTTP_PORT", "VMS_SIM_HTTPS_PORT", "VMS_SIM_DIR",
                                  "VMS_SIM_LOG", "VMS_SIM_HTTP", "VMS_SIM_HTTPS", "VMS_SIM_CA"}, f)
        self.assertEqual(f["VMS_SIM_HTTP"], "http://127.0.0.1:" + f["VMS_SIM_HTTP_PORT"])
        self.assertEqual(f["VMS_SIM_HTTPS"], "https://127.0.0.1:" + f["VMS_SIM_HTTPS_PORT"])
        self.assertEqual(f["VMS_SIM_CA"], f["VMS_SIM_DIR"] + "/tls/cert.pem")
        self.assertTrue(os.path.isfile(f["VMS_SIM_CA"]))
        if os.access("/dev/shm", os.W_OK):
            self.assertTrue(f["VMS_SIM_DIR"].startswith("/dev/shm/vms-sim."), f["VMS_SIM_DIR"])
        pid = int(f["VMS_SIM_PID"])
        with open("/proc/%d/stat" % pid) as st:
            self.assertEqual(int(st.read().rsplit(")", 1)[1].split()[1]), run.proc.pid, "the launcher is its parent")
        conn = http.client.HTTPConnection("127.0.0.1", int(f["VMS_SIM_HTTP_PORT"]), timeout=10)
        conn.request("GET", "/_sim/stats")
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()
        run.proc.send_signal(signal.SIGTERM)  # passed on to the simulator
        self.assertEqual(run.wait(), 0, run.stderr)
        self.assertFalse(alive(pid))
        self.assertFalse(os.path.exists(run.run_dir), "the run directory is removed")
        self.assertEqual(run.stderr, "")

    def test_own_data_dir_and_log_are_kept_and_state_survives(self):
        data, log = os.path.join(self.tmp, "data"), os.path.join(self.tmp, "sim.log")
        for n in range(2):
            run = self.launch("--data-dir", data, "--log", log, "--listen", "http", "--", "--seed")
            self.assertEqual(run.facts["VMS_SIM_DIR"], data)
            self.assertEqual(run.facts["VMS_SIM_LOG"], log)
            self.assertEqual(run.facts["VMS_SIM_HTTPS"], "")
            self.assertEqual(run.facts["VMS_SIM_HTTPS_PORT"], "0")
            self.assertEqual(run.facts["VMS_SIM_CA"], "")
            run.proc.send_signal(signal.SIGINT)
            self.assertEqual(run.wait(), 0)
        self.assertTrue(os.path.isfile(os.path.join(data, "state.json")))
        with open(log) as f:
            self.assertEqual(f.read().count("vms-sim ready"), 2, "appended, never truncated")

    def test_sigkill_of_the_simulator_is_the_launchers_end(self):
        run = self.launch("--listen", "http")
        os.kill(int(run.facts["VMS_SIM_PID"]), signal.SIGKILL)
        self.assertEqual(run.wait(), -signal.SIGKILL)
        self.assertFalse(os.path.exists(run.run_dir))
        self.assertEqual(run.stderr, "", "a kill -9 is a test's own doing: no log tail")

    def test_exit_status_passes_through_with_the_log_tail(self):
        stub, env = self.stub(STUB_EXIT="7")
        run = self.launch("--sim", stub, "--wrapper", "/usr/bin/env", "--wrapper", "STUB_MARK=1",
                       "--", "--seed", "--x y", env=env)
        run.proc.send_signal(signal.SIGTERM)
        self.assertEqual(run.wait(), 7)
        self.assertIn("ended with exit status 7", run.stderr)
        self.assertIn("stub: SIGTERM", run.stderr, "the end of the log")
        self.assertIn("--seed --x y", run.stderr, "flags passed on as they were")

    def test_a_simulator_that_ends_during_start_up(self):
        run = self.launch("--listen", "http", "--", "--threads", "0")
        self.assertEqual(run.facts, {})
        self.assertEqual(run.wait(), 3)
        self.assertIn("ended during start-up (exit status 2)", run.stderr)
        self.assertIn("invalid value for --threads", run.stderr)

    def test_no_port_file_in_time(self):
        stub, env = self.stub(STUB_DELAY_S="30")
        t0 = time.monotonic()
        run = self.launch("--sim", stub, "--timeout-ms", "500", env=env)
        self.assertEqual(run.wait(), 4)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIn("no port file within 500 ms (killed)", run.stderr)

    def test_a_caller_that_dies_stops_its_simulator(self):
        # the caller: a Python process that starts the launcher, prints the facts, and is
        # killed with SIGKILL (no cleanup of its own runs)
        caller = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""\
            import os, subprocess, sys, time
            p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
            os.write(1, p.stdout.read())
            os.close(1)
            time.sleep(60)
            """), LAUNCH, "--sim", VMS_SIM, "--listen", "http"], stdout=subprocess.PIPE)
        facts = dict(line.split("=", 1) for line in caller.stdout.read().decode().splitlines())
        caller.stdout.close()
        pid = int(facts["VMS_SIM_PID"].strip("'"))
        run_dir = os.path.dirname(facts["VMS_SIM_DIR"].strip("'"))
        self.assertTrue(alive(pid))
        caller.kill()
        caller.wait()
        deadline = time.monotonic() + BOUND_S
        while (alive(pid) or os.path.exists(run_dir)) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(alive(pid), "the simulator stopped with its caller")
        self.assertFalse(os.path.exists(run_dir), "and its run directory is gone")

    def test_refusals(self):
        for args, message in ((["--", "--port-file", "x"], "--port-file is the launcher's"),
                              (["--", "--data-dir=x"], "--data-dir is the launcher's"),
                              (["--listen", "ftp"], "--listen takes http or https"),
                              (["--timeout-ms", "0"], "--timeout-ms takes a positive number"),
                              (["--data-dir", os.path.join(self.tmp, "it's")], "holds a quote")):
            run = self.launch(*args)
            self.assertEqual(run.wait(), 2, args)
            self.assertIn(message, run.stderr)
        proc = subprocess.run([LAUNCH, "--help"], capture_output=True, timeout=BOUND_S)
        self.assertEqual(proc.returncode, 0)
        self.assertIn(b"VMS_SIM_PID", proc.stdout)


if __name__ == "__main__":
    unittest.main()
