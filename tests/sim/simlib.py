"""Shared helpers for the vms-sim tests: start a simulator on port 0 with its own data
directory (through vms-sim-launch, the launcher the C and shell tests use too), talk to
it over HTTP(S) with the standard library, stop it by PID.

These tests are a second implementation of the VMS protocol (Python's http.client and
json), so the simulator's wire format is checked by someone else's parser.
Environment: VMS_SIM = path of the vms-sim binary; VMS_SIM_LAUNCH = the launcher (default:
vms-sim-launch beside VMS_SIM).
"""

import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest

VMS_SIM = os.environ.get("VMS_SIM", "")
# The one launcher of the C, shell and Python tests (tests/launcher/main.c).
VMS_SIM_LAUNCH = os.environ.get("VMS_SIM_LAUNCH") or os.path.join(os.path.dirname(VMS_SIM), "vms-sim-launch")
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0
ADMIN = ("admin", "123456")


def parse_facts(text):
    """The launcher's KEY='VALUE' lines as a dict."""
    facts = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and len(value) >= 2 and value[0] == value[-1] == "'":
            facts[key] = value[1:-1]
    return facts


class Sim:
    """One vms-sim, started by vms-sim-launch. Keeps its data directory across restart()
    until cleanup(). proc is the launcher (the simulator's parent, which ends as the
    simulator does), pid the simulator's PID."""

    def __init__(self, *args, data_dir=None, http=True, https=False, env=None):
        if not VMS_SIM or not os.access(VMS_SIM, os.X_OK):
            raise RuntimeError("set VMS_SIM to the vms-sim binary (got %r)" % VMS_SIM)
        if not os.access(VMS_SIM_LAUNCH, os.X_OK):
            raise RuntimeError("no launcher at %r (it is built beside vms-sim; or set VMS_SIM_LAUNCH)"
                               % VMS_SIM_LAUNCH)
        self.args = list(args)
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="vms-sim-test.")
        self.use_http = http
        self.use_https = https
        self.env = env
        self.proc = None
        self.pid = None
        self.facts = {}
        self.ports = {}
        self.log_path = self.data_dir + ".log"
        self.started_s = None

    # -- lifecycle --------------------------------------------------------------

    def command(self, extra=(), wrapper=(), timeout=START_TIMEOUT_S):
        """The launcher's argv for a start with these extra flags."""
        cmd = [VMS_SIM_LAUNCH, "--sim", VMS_SIM, "--data-dir", self.data_dir, "--log", self.log_path,
               "--timeout-ms", str(int(timeout * 1000))]
        if self.use_http:
            cmd += ["--listen", "http"]
        if self.use_https:
            cmd += ["--listen", "https"]
        for word in wrapper:
            cmd += ["--wrapper", word]
        return cmd + ["--"] + self.args + list(extra)

    def start(self, *extra, wrapper=(), timeout=START_TIMEOUT_S):
        self.log = open(self.log_path, "ab")
        t0 = time.monotonic()
        # the launcher's own messages go to the simulator's log, where read_log finds them
        self.proc = subprocess.Popen(self.command(extra, wrapper, timeout), stdout=subprocess.PIPE,
                                     stderr=self.log, env=self.env)
        with self.proc.stdout:
            self.facts = parse_facts(self.proc.stdout.read().decode())  # to EOF: it closes stdout then
        if "VMS_SIM_PID" not in self.facts:
            rc = self.proc.wait()
            self.proc = None
            self.log.close()
            raise RuntimeError("vms-sim did not start (launcher exit %d):\n%s" % (rc, self.read_log()))
        self.started_s = time.monotonic() - t0
        self.pid = int(self.facts["VMS_SIM_PID"])
        self.ports = {scheme: int(self.facts["VMS_SIM_%s_PORT" % scheme.upper()]) for scheme in ("http", "https")
                      if self.facts["VMS_SIM_%s_PORT" % scheme.upper()] != "0"}
        return self

    def stop(self, sig=signal.SIGTERM):
        """Stops the simulator we started and returns its exit status (negative: the
        signal that ended it). The signal goes through the launcher, which passes it on;
        SIGKILL, which nothing can pass on, goes to the simulator's PID (the launcher,
        our child, is still there: the PID is not reused yet)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            if sig == signal.SIGKILL:
                os.kill(self.pid, sig)
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
                raise AssertionError("vms-sim did not stop within %.0f s" % STOP_TIMEOUT_S)
        rc = self.proc.returncode
        self.proc = None
        self.log.close()
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self, *extra):
        rc = self.stop()
        self.start(*extra)
        return rc

    def cleanup(self):
        """Stops the simulator with SIGTERM and checks that it exited cleanly: status 0
        and no sanitizer report in its log (ASan/UBSan builds print them there)."""
        try:
            rc = self.stop(signal.SIGTERM)
            log = self.read_log(whole=True)
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                if marker in log:
                    raise AssertionError("vms-sim reported %r:\n%s" % (marker, log[-4000:]))
            if rc not in (None, 0):
                raise AssertionError("vms-sim exited with %d on SIGTERM:\n%s" % (rc, log[-4000:]))
        finally:
            self.stop(signal.SIGKILL)
            if self.own_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)
                try:
                    os.unlink(self.log_path)
                except OSError:
                    pass

    def read_log(self, whole=False):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
                return text if whole else text[-4000:]
        except OSError:
            return ""

    # -- HTTP -------------------------------------------------------------------

    def fs(self, vms_path):
        """Where a VMS path lives on disk."""
        return os.path.join(self.data_dir, "fs", vms_path.lstrip("/"))

    def connect(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.ports["http"], timeout=timeout)

    def request(self, method, path, body=None, token=None, headers=None, conn=None, basic=None,
                raw_body=None):
        """Returns (status, parsed JSON or None, response headers)."""
        own = conn is None
        conn = conn or self.connect()
        hdrs = {"Accept": "application/json"}
        if token:
            hdrs["Authorization"] = "Bearer " + token
        if basic:
            import base64
            hdrs["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % basic).encode()).decode()
        hdrs.update(headers or {})
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            text = resp.read()
            payload = json.loads(text) if text else None
            return resp.status, payload, dict(resp.getheaders())
        finally:
            if own:
                conn.close()

    def login(self, user=ADMIN[0], password=ADMIN[1]):
        status, body, _ = self.request("POST", "/api/v1/token/", {"username": user, "password": password})
        if status != 200:
            raise AssertionError("login failed: %d %r" % (status, body))
        return body["access"]

    def admin(self, method, path, body=None):
        status, payload, _ = self.request(method, "/_sim/" + path, body)
        if status != 200:
            raise AssertionError("admin %s %s: %d %r" % (method, path, status, payload))
        return payload


class Api:
    """An authenticated client for one simulator (Bearer token), logged in as login
    (username, password): the --user admin by default, or e.g. a manager."""

    def __init__(self, sim, version="v1", tenant=None, login=ADMIN):
        self.sim = sim
        self.version = version
        self.token = sim.login(*login)
        self.tenant = tenant

    def url(self, path):
        return "/api/%s/%s" % (self.version, path) if self.version else "/api/" + path

    def call(self, method, path, body=None, **kw):
        headers = kw.pop("headers", {})
        if self.tenant:
            headers["X-Tenant-Name"] = self.tenant
        status, payload, _ = self.sim.request(method, self.url(path), body, token=self.token,
                                              headers=headers, **kw)
        return status, payload

    def ok(self, method, path, body=None, expect=None, **kw):
        status, payload = self.call(method, path, body, **kw)
        wanted = expect or {"GET": 200, "POST": 201, "PATCH": 200, "DELETE": 204}.get(method, 200)
        if status != wanted:
            raise AssertionError("%s %s -> %d %r (wanted %d)" % (method, path, status, payload, wanted))
        return payload

    def get(self, path):
        return self.ok("GET", path)

    def post(self, path, body, expect=201):
        return self.ok("POST", path, body, expect=expect)

    def wait_task(self, task_id, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            task = self.get("vtasks/%d/" % task_id)
            if task["state"] != "RUNNING" or time.monotonic() > deadline:
                return task
            time.sleep(0.02)


class SimTestCase(unittest.TestCase):
    """Starts one simulator per test (args from SIM_ARGS) and kills it in tearDown."""

    SIM_ARGS = ()
    HTTPS = False

    def setUp(self):
        self.sim = Sim(*self.SIM_ARGS, https=self.HTTPS)
        self.addCleanup(self.sim.cleanup)
        self.sim.start()
        self.api = Api(self.sim)

    def new_sim(self, *args, **kw):
        sim = Sim(*args, **kw)
        self.addCleanup(sim.cleanup)
        return sim.start()

    def seed(self):
        return self.sim.admin("POST", "seed")

    def assertStatus(self, expected, result):
        status, payload = result[0], result[1]
        self.assertEqual(status, expected, "unexpected answer %r" % (payload,))
        return payload


def tls_context(cafile=None):
    ctx = ssl.create_default_context(cafile=cafile)
    return ctx
