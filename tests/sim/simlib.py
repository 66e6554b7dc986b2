"""Shared helpers for the vms-sim tests: start a simulator on port 0 with its own data
directory, talk to it over HTTP(S) with the standard library, stop it by PID.

These tests are a second implementation of the VMS protocol (Python's http.client and
json), so the simulator's wire format is checked by someone else's parser.
Environment: VMS_SIM = path of the vms-sim binary.
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
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0
ADMIN = ("admin", "123456")


class Sim:
    """One vms-sim process. Keeps its data directory across restart() until cleanup()."""

    def __init__(self, *args, data_dir=None, http=True, https=False, env=None):
        if not VMS_SIM or not os.access(VMS_SIM, os.X_OK):
            raise RuntimeError("set VMS_SIM to the vms-sim binary (got %r)" % VMS_SIM)
        self.args = list(args)
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="vms-sim-test.")
        self.use_http = http
        self.use_https = https
        self.env = env
        self.proc = None
        self.ports = {}
        self.log_path = self.data_dir + ".log"
        self.started_s = None

    # -- lifecycle --------------------------------------------------------------

    def command(self, extra=()):
        port_file = self.data_dir + ".ports"
        cmd = [VMS_SIM, "--data-dir", self.data_dir, "--port-file", port_file]
        if self.use_http:
            cmd += ["--http", "127.0.0.1:0"]
        if self.use_https:
            cmd += ["--https", "127.0.0.1:0"]
        return cmd + self.args + list(extra), port_file

    def start(self, *extra, wrapper=(), timeout=START_TIMEOUT_S):
        cmd, port_file = self.command(extra)
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.log = open(self.log_path, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(list(wrapper) + cmd, stdout=self.log, stderr=self.log, env=self.env)
        deadline = t0 + timeout
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("vms-sim exited with %d:\n%s" % (self.proc.returncode, self.read_log()))
            if time.monotonic() > deadline:
                raise RuntimeError("vms-sim wrote no port file within %.0f s" % timeout)
            time.sleep(0.002)
        self.started_s = time.monotonic() - t0
        with open(port_file) as f:
            self.ports = json.load(f)
        return self

    def stop(self, sig=signal.SIGTERM):
        """Stops the process we started (by its PID) and returns its exit status."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
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
                for suffix in (".ports", ".log"):
                    try:
                        os.unlink(self.data_dir + suffix)
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
    """An authenticated client for one simulator (Bearer token)."""

    def __init__(self, sim, version="v1", tenant=None):
        self.sim = sim
        self.version = version
        self.token = sim.login()
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
