"""Interop: the real vast-csi, driven by Python grpcio (a second gRPC implementation).

Our own client (csictl) shares the server's codec and gRPC core, so a mistake in how we
frame messages or report status could pass unnoticed there. grpcio parses our replies
with Google's protobuf runtime and its own status handling, so this test catches that.

Stubs are generated from proto/ into a temporary directory when the test starts; they
are never committed. Run with /usr/bin/python3 (Debian's python3-grpcio and
python3-grpc-tools). Environment:
  VAST_CSI      path of the vast-csi binary (required)
  VK_PROTO_DIR  directory holding csi.proto and cosi.proto (default: the repo's proto/)
"""

import concurrent.futures
import importlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
VAST_CSI = os.environ.get("VAST_CSI", "")
PROTO_DIR = os.environ.get("VK_PROTO_DIR") or os.path.join(HERE, "..", "..", "proto")

DRIVER_NAME = "interop.vast-k8s.test"
NODE_ID = "n1"
# A value that must never reach the plugin's log, however the request is logged.
SECRET_VALUE = "s3cr3t-Interop-Value-7f41"
READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 20.0
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # gRPC's default receive limit, which vast-csi keeps

# Set by setUpModule once the stubs exist.
csi_pb2 = None
csi_pb2_grpc = None
_stub_dir = None


def setUpModule():
    global csi_pb2, csi_pb2_grpc, _stub_dir
    if not VAST_CSI or not os.access(VAST_CSI, os.X_OK):
        raise RuntimeError("set VAST_CSI to the vast-csi binary (got %r)" % VAST_CSI)
    _stub_dir = tempfile.mkdtemp(prefix="vk-interop-stubs.")
    # sys.executable is the interpreter running this test, so the stubs match the
    # protobuf runtime that will import them.
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I" + PROTO_DIR,
         "--python_out=" + _stub_dir, "--grpc_python_out=" + _stub_dir,
         "csi.proto", "cosi.proto"],
        check=True)
    sys.path.insert(0, _stub_dir)
    csi_pb2 = importlib.import_module("csi_pb2")
    csi_pb2_grpc = importlib.import_module("csi_pb2_grpc")


def tearDownModule():
    if _stub_dir:
        shutil.rmtree(_stub_dir, ignore_errors=True)


def plugin_environment(faults):
    """The caller's environment without the plugin's own settings, so a developer's
    exported X_CSI_MODE or CSI_ENDPOINT cannot change what the test starts."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("X_CSI_") and k not in ("CSI_ENDPOINT", "VAST_CSI_FAULTS")}
    if faults:
        env["VAST_CSI_FAULTS"] = faults
    return env


class Plugin:
    """One vast-csi process on its own socket, its stderr (debug level) in a file."""

    def __init__(self, workdir, label, mode="all", extra_args=(), faults=None):
        self.socket_path = os.path.join(workdir, label + ".sock")
        self.log_path = os.path.join(workdir, label + ".log")
        self.target = "unix://" + self.socket_path
        args = [VAST_CSI, "--endpoint", self.target, "--node-id", NODE_ID,
                "--driver-name", DRIVER_NAME, "--mode", mode, "--log-level", "debug",
                *extra_args]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=log,
                                            env=plugin_environment(faults))
        self.channel = None  # connected by wait_ready

    def connect(self):
        """A new channel and stubs. No proxy lookup: traffic stays on the unix socket."""
        if self.channel:
            self.channel.close()
        self.channel = grpc.insecure_channel(self.target, options=[("grpc.enable_http_proxy", 0)])
        self.identity = csi_pb2_grpc.IdentityStub(self.channel)
        self.controller = csi_pb2_grpc.ControllerStub(self.channel)
        self.node = csi_pb2_grpc.NodeStub(self.channel)

    def wait_ready(self):
        """Retries Probe until it answers; raises with the plugin's log if it never does.

        Each attempt gets a new channel: a channel that failed to connect backs off for
        a second, then 1.6 s, 2.6 s, ..., which would spend most of the wait asleep."""
        give_up = time.monotonic() + READY_TIMEOUT_S
        last_error = None
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                raise AssertionError("vast-csi exited with %s before answering Probe; log:\n%s"
                                     % (self.process.returncode, self.log()))
            self.connect()
            try:
                return self.identity.Probe(csi_pb2.ProbeRequest(), timeout=1)
            except grpc.RpcError as e:
                last_error = e
                time.sleep(0.05)
        raise AssertionError("vast-csi did not answer Probe within %.0f s (%s); log:\n%s"
                             % (READY_TIMEOUT_S, last_error, self.log()))

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def terminate(self, timeout=30):
        """SIGTERM and wait; returns the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def close(self):
        """Stops the plugin if a test left it running: SIGTERM first, SIGKILL if it does not
        exit in time. Raises (unittest reports it against the test) when a graceful
        stop did not exit 0, so a leak or sanitizer report at exit, or a hang in shutdown,
        fails the test that caused it. The process is reaped whatever happens."""
        if self.channel:
            self.channel.close()
        if self.process.poll() is not None:
            return
        try:
            status = self.terminate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("vast-csi did not exit within %.0f s of SIGTERM; log:\n%s"
                                 % (STOP_TIMEOUT_S, self.log()))
        if status != 0:
            raise AssertionError("vast-csi exited with %s after SIGTERM; log:\n%s"
                                 % (status, self.log()))


def raw_call(channel, path, payload, timeout=5):
    """A call with bytes as they are, bypassing any protobuf encoding on our side."""
    call = channel.unary_unary(path, request_serializer=lambda x: x,
                               response_deserializer=lambda x: x)
    return call(payload, timeout=timeout)


class InteropTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="vk-interop.")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.plugin = self.start_plugin("all")

    def start_plugin(self, label, **kwargs):
        # The cleanup is registered before waiting, so a plugin that never comes up
        # is still killed; cleanups run even when setUp or the test fails.
        plugin = Plugin(self.workdir, label, **kwargs)
        self.addCleanup(plugin.close)
        plugin.wait_ready()
        return plugin

    def assertRpcCode(self, expected, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.code(), expected, caught.exception.details())
        return caught.exception

    def plugin_services(self, plugin):
        reply = plugin.identity.GetPluginCapabilities(csi_pb2.GetPluginCapabilitiesRequest(), timeout=5)
        return [c.service.type for c in reply.capabilities if c.WhichOneof("type") == "service"]

    # --- Identity ---

    def test_get_plugin_info(self):
        reply = self.plugin.identity.GetPluginInfo(csi_pb2.GetPluginInfoRequest(), timeout=5)
        self.assertEqual(reply.name, DRIVER_NAME)
        self.assertTrue(reply.vendor_version)
        self.assertTrue(reply.manifest.get("commit"), dict(reply.manifest))
        self.assertEqual(reply.manifest.get("mode"), "all")

    def test_capabilities_offer_controller_only_when_serving_it(self):
        controller_service = csi_pb2.PluginCapability.Service.CONTROLLER_SERVICE
        self.assertIn(controller_service, self.plugin_services(self.plugin))
        controller = self.start_plugin("controller", mode="controller")
        self.assertIn(controller_service, self.plugin_services(controller))
        node = self.start_plugin("node", mode="node")
        self.assertNotIn(controller_service, self.plugin_services(node))

    def test_probe_reports_ready(self):
        reply = self.plugin.identity.Probe(csi_pb2.ProbeRequest(), timeout=5)
        self.assertTrue(reply.HasField("ready"))
        self.assertTrue(reply.ready.value)

    # --- Node and Controller ---

    def test_node_get_info(self):
        reply = self.plugin.node.NodeGetInfo(csi_pb2.NodeGetInfoRequest(), timeout=5)
        self.assertEqual(reply.node_id, NODE_ID)

    def test_controller_get_capabilities(self):
        reply = self.plugin.controller.ControllerGetCapabilities(
            csi_pb2.ControllerGetCapabilitiesRequest(), timeout=5)
        self.assertIsInstance(reply, csi_pb2.ControllerGetCapabilitiesResponse)

    # --- errors ---

    def test_unknown_method_is_unimplemented_at_once(self):
        # The 5 s deadline turns a hang into DEADLINE_EXCEEDED instead of a stuck test.
        began = time.monotonic()
        self.assertRpcCode(grpc.StatusCode.UNIMPLEMENTED, raw_call, self.plugin.channel,
                           "/csi.v1.Nope/Nope", b"", timeout=5)
        self.assertLess(time.monotonic() - began, 1.0)

    def test_secrets_never_reach_the_log(self):
        # Refused by validation (no capabilities) after the request was logged...
        request = csi_pb2.CreateVolumeRequest(
            name="pvc-interop",
            secrets={"password": SECRET_VALUE, "endpoint": SECRET_VALUE})
        self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT, self.plugin.controller.CreateVolume,
                           request, timeout=5)
        # ...and one that gets as far as VMS: nothing listens on port 9, so the
        # driver's VMS client fails to connect (and logs the attempt).
        capability = csi_pb2.VolumeCapability(
            mount=csi_pb2.VolumeCapability.MountVolume(),
            access_mode=csi_pb2.VolumeCapability.AccessMode(
                mode=csi_pb2.VolumeCapability.AccessMode.MULTI_NODE_MULTI_WRITER))
        request = csi_pb2.CreateVolumeRequest(
            name="pvc-interop-vms", volume_capabilities=[capability],
            parameters={"root_export": "/k8s", "view_policy": "p", "vip_pool_name": "v"},
            secrets={"endpoint": "127.0.0.1:9", "username": "admin", "password": SECRET_VALUE})
        self.assertRpcCode(grpc.StatusCode.UNAVAILABLE, self.plugin.controller.CreateVolume,
                           request, timeout=20)
        # The request is logged before the reply is sent, so it is in the file now.
        log = self.plugin.log()
        self.assertNotIn(SECRET_VALUE, log)
        self.assertIn("***stripped***", log)
        self.assertIn("pvc-interop", log)  # the request was logged, only redacted

    def test_garbage_payload_is_invalid_argument(self):
        self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT, raw_call, self.plugin.channel,
                           "/csi.v1.Identity/GetPluginInfo", b"\xff\xff\xff")

    def test_oversized_request_is_resource_exhausted(self):
        # A well-formed message, just too big: the limit is on size, not on content.
        request = csi_pb2.CreateVolumeRequest(
            name="pvc-huge", parameters={"filler": "x" * (MAX_MESSAGE_BYTES + 1)})
        self.assertRpcCode(grpc.StatusCode.RESOURCE_EXHAUSTED, self.plugin.controller.CreateVolume,
                           request, timeout=10)
        # The plugin survives it.
        self.plugin.identity.Probe(csi_pb2.ProbeRequest(), timeout=5)

    # --- load and lifecycle ---

    def test_concurrent_calls_on_one_channel(self):
        threads, calls_each = 8, 100

        def worker(_):
            names = set()
            for _ in range(calls_each):
                names.add(self.plugin.identity.GetPluginInfo(csi_pb2.GetPluginInfoRequest(),
                                                             timeout=10).name)
            return names

        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(worker, range(threads)))
        self.assertEqual(results, [{DRIVER_NAME}] * threads)

    def test_sigterm_lets_calls_in_flight_finish(self):
        in_flight = 4
        plugin = self.start_plugin("draining", extra_args=("--workers", str(in_flight)),
                                   faults="rpc.NodeGetInfo=sleep:800")
        futures = [plugin.node.NodeGetInfo.future(csi_pb2.NodeGetInfoRequest(), timeout=30)
                   for _ in range(in_flight)]
        time.sleep(0.2)  # long enough for all 4 to reach their handlers, well short of 800 ms
        exit_status = plugin.terminate()
        for future in futures:
            self.assertEqual(future.result().node_id, NODE_ID)
        self.assertEqual(exit_status, 0, plugin.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
