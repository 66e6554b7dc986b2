"""Interop for COSI: `vast-csi --mode cosi` driven by Python grpcio, against a seeded
vms-sim whose S3 data plane is on (--s3), and the credentials it hands out used by a real
S3 client (Debian's python3-boto3, path-style).

grpcio parses our COSI replies with Google's protobuf runtime, so the wire format of
cosi.v1alpha1 (maps of messages, the Protocol oneof, enums) and the status codes are
checked by someone else's implementation; boto3 proves the granted key, endpoint and
region work for the bucket and for nothing else.

Stubs are generated from proto/cosi.proto into a temporary directory when the test
starts; they are never committed. Run with /usr/bin/python3. Environment:
  VAST_CSI      the vast-csi binary (required)
  VMS_SIM       the vms-sim binary (required; vms-sim-launch beside it starts it)
  VK_PROTO_DIR  directory holding cosi.proto (default: the repo's proto/)
Exits 77 (skipped) only when boto3 is not installed.
"""

import importlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:
    print("skipped: python3-boto3 is not installed (scripts/bootstrap.sh installs it)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sim"))
from simlib import Api, Sim  # noqa: E402  (the simulator's launcher and VMS client)

# Everything stays on loopback: no proxy may take boto3's or grpcio's connections elsewhere.
for _proxy in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_proxy, None)

VAST_CSI = os.environ.get("VAST_CSI", "")
PROTO_DIR = os.environ.get("VK_PROTO_DIR") or os.path.join(HERE, "..", "..", "proto")

READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0
CALL_TIMEOUT_S = 60.0
PARAMS_BASE = {"root_export": "/k8s", "scheme": "http"}
# Seeded tenant's pool has addresses 127.0.0.10-13, where nothing listens: the test makes
# its own pool on 127.0.0.1, where the simulator's S3 listener is.
POOL = "cosi-interop-pool"

cosi_pb2 = None
cosi_pb2_grpc = None
_stub_dir = None


def setUpModule():
    global cosi_pb2, cosi_pb2_grpc, _stub_dir
    if not VAST_CSI or not os.access(VAST_CSI, os.X_OK):
        raise RuntimeError("set VAST_CSI to the vast-csi binary (got %r)" % VAST_CSI)
    _stub_dir = tempfile.mkdtemp(prefix="vk-cosi-stubs.")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + PROTO_DIR, "--python_out=" + _stub_dir,
                    "--grpc_python_out=" + _stub_dir, "cosi.proto"], check=True)
    sys.path.insert(0, _stub_dir)
    cosi_pb2 = importlib.import_module("cosi_pb2")
    cosi_pb2_grpc = importlib.import_module("cosi_pb2_grpc")


def tearDownModule():
    if _stub_dir:
        shutil.rmtree(_stub_dir, ignore_errors=True)


def plugin_environment(extra=None):
    """The caller's environment without the plugin's settings (an exported X_CSI_MODE,
    CSI_ENDPOINT or COSI_ENDPOINT must not change what the test starts)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("X_CSI_") and k not in ("CSI_ENDPOINT", "COSI_ENDPOINT", "VAST_CSI_FAULTS")}
    env.update(extra or {})
    return env


def run_plugin(args, env=None, timeout=20):
    """vast-csi with args that must make it exit: (exit status, stderr)."""
    done = subprocess.run([VAST_CSI] + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                          env=plugin_environment(env), timeout=timeout)
    return done.returncode, done.stderr.decode(errors="replace")


class CosiPlugin:
    """vast-csi --mode cosi on a unix socket in workdir, debug log in a file."""

    def __init__(self, workdir, secret_dir):
        self.socket_path = os.path.join(workdir, "cosi.sock")
        self.log_path = os.path.join(workdir, "vast-csi.log")
        self.target = "unix://" + self.socket_path
        args = [VAST_CSI, "--mode", "cosi", "--endpoint", self.target, "--vms-secret-dir", secret_dir,
                "--log-level", "debug"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            env=plugin_environment())
        self.channel = None

    def connect(self):
        if self.channel:
            self.channel.close()
        self.channel = grpc.insecure_channel(self.target, options=[("grpc.enable_http_proxy", 0)])
        self.identity = cosi_pb2_grpc.IdentityStub(self.channel)
        self.provisioner = cosi_pb2_grpc.ProvisionerStub(self.channel)

    def wait_ready(self):
        """DriverGetInfo until it answers, each attempt on a new channel."""
        give_up = time.monotonic() + READY_TIMEOUT_S
        last = None
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                raise AssertionError("vast-csi --mode cosi exited with %s; log:\n%s"
                                     % (self.process.returncode, self.log()))
            self.connect()
            try:
                return self.identity.DriverGetInfo(cosi_pb2.DriverGetInfoRequest(), timeout=1)
            except grpc.RpcError as e:
                last = e
                time.sleep(0.05)
        raise AssertionError("vast-csi --mode cosi did not answer DriverGetInfo in %.0f s (%s); log:\n%s"
                             % (READY_TIMEOUT_S, last, self.log()))

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def close(self):
        """SIGTERM (by PID) and a clean exit 0 expected; SIGKILL when it hangs."""
        if self.channel:
            self.channel.close()
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("vast-csi did not exit within %.0f s of SIGTERM" % STOP_TIMEOUT_S)
        if status != 0:
            raise AssertionError("vast-csi exited with %s after SIGTERM; log:\n%s" % (status, self.log()[-4000:]))


def raw_call(channel, path, payload=b"", timeout=5):
    call = channel.unary_unary(path, request_serializer=lambda x: x, response_deserializer=lambda x: x)
    return call(payload, timeout=timeout)


class CosiInteropTest(unittest.TestCase):
    """One simulator and one plugin for the class; each test uses names of its own."""

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="vk-cosi-interop.")
        cls.sim = Sim("--s3", "127.0.0.1:0", "--log-level", "debug", https=True)
        try:
            cls.sim.start()
            cls.ids = cls.sim.admin("POST", "seed")
            cls.api = Api(cls.sim)
            cls.s3_port = cls.sim.admin("GET", "listeners")["s3"]
            cls.api.post("vippools/", {"name": POOL, "tenant_id": cls.ids["tenant"], "role": "PROTOCOLS",
                                       "ip_ranges": [["127.0.0.1", "127.0.0.1"]], "subnet_cidr": 8,
                                       "enabled": True})
            cls.secret_dir = os.path.join(cls.workdir, "secret")
            os.mkdir(cls.secret_dir, 0o700)
            with open(os.path.join(cls.sim.data_dir, "tls", "cert.pem")) as f:
                cert = f.read()
            for name, value in (("endpoint", "127.0.0.1:%d" % cls.sim.ports["https"]), ("username", "admin"),
                                ("password", "123456"), ("ssl_cert", cert)):
                with open(os.path.join(cls.secret_dir, name), "w") as f:
                    f.write(value)
            cls.plugin = CosiPlugin(cls.workdir, cls.secret_dir)
            cls.plugin.wait_ready()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if getattr(cls, "plugin", None):
                cls.plugin.close()
        finally:
            cls.sim.cleanup()
            shutil.rmtree(cls.workdir, ignore_errors=True)

    # -- helpers ----------------------------------------------------------------

    def params(self, **extra):
        p = dict(PARAMS_BASE, vip_pool_name=POOL, s3_port=str(self.s3_port))
        p.update(extra)
        return p

    def name(self, prefix):
        return "%s-%s" % (prefix, secrets.token_hex(6))

    def create(self, name, **extra):
        return self.plugin.provisioner.DriverCreateBucket(
            cosi_pb2.DriverCreateBucketRequest(name=name, parameters=self.params(**extra)), timeout=CALL_TIMEOUT_S)

    def delete(self, bucket_id):
        return self.plugin.provisioner.DriverDeleteBucket(
            cosi_pb2.DriverDeleteBucketRequest(bucket_id=bucket_id), timeout=CALL_TIMEOUT_S)

    def grant(self, bucket_id, name, auth=None, parameters=None):
        auth = cosi_pb2.Key if auth is None else auth
        return self.plugin.provisioner.DriverGrantBucketAccess(
            cosi_pb2.DriverGrantBucketAccessRequest(bucket_id=bucket_id, name=name, authentication_type=auth,
                                                    parameters=parameters or {}),
            timeout=CALL_TIMEOUT_S)

    def revoke(self, bucket_id, account_id):
        return self.plugin.provisioner.DriverRevokeBucketAccess(
            cosi_pb2.DriverRevokeBucketAccessRequest(bucket_id=bucket_id, account_id=account_id),
            timeout=CALL_TIMEOUT_S)

    def assertRpcCode(self, expected, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.code(), expected, caught.exception.details())
        return caught.exception

    def s3_client(self, credentials):
        s3 = credentials["s3"].secrets
        client = boto3.session.Session().client(
            "s3", endpoint_url=s3["endpoint"], region_name=s3["region"], aws_access_key_id=s3["accessKeyID"],
            aws_secret_access_key=s3["accessSecretKey"],
            config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                          proxies={}))
        self.addCleanup(client.close)
        return client

    def assertS3Error(self, code, call, *args, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            call(*args, **kw)
        self.assertEqual(caught.exception.response["Error"]["Code"], code, caught.exception.response)

    def views_of(self, bucket):
        return [v for v in self.api.get("views/") if v.get("bucket") == bucket]

    # -- tests ------------------------------------------------------------------

    def test_driver_get_info(self):
        reply = self.plugin.identity.DriverGetInfo(cosi_pb2.DriverGetInfoRequest(), timeout=5)
        self.assertEqual(reply.name, "cosi.vast-k8s.io")

    def test_bucket_lifecycle_with_s3_client(self):
        first, second = self.name("bucket-interop-a"), self.name("bucket-interop-b")
        made = self.create(first)
        self.assertTrue(made.bucket_id.startswith("vb1:"), made.bucket_id)
        self.assertEqual(made.bucket_info.WhichOneof("type"), "s3")
        self.assertEqual(made.bucket_info.s3.signature_version, cosi_pb2.S3V4)
        self.assertEqual(made.bucket_info.s3.region, "us-east-1")
        again = self.create(first)
        self.assertEqual(again.bucket_id, made.bucket_id, "a replayed create answers the same bucket_id")
        self.assertEqual(len(self.views_of(first)), 1, "one view for the bucket after the replay")
        other = self.create(second)
        self.assertNotEqual(other.bucket_id, made.bucket_id)

        account = self.name("ba-interop")
        granted = self.grant(made.bucket_id, account)
        self.assertTrue(granted.account_id)
        self.assertEqual(list(granted.credentials.keys()), ["s3"], "exactly one credentials entry, s3")
        s3 = granted.credentials["s3"].secrets
        self.assertEqual(sorted(s3.keys()), ["accessKeyID", "accessSecretKey", "endpoint", "region"])
        self.assertEqual(s3["endpoint"], "http://127.0.0.1:%d" % self.s3_port)
        self.assertEqual(s3["region"], "us-east-1")
        other_grant = self.grant(other.bucket_id, self.name("ba-interop"))

        client = self.s3_client(granted.credentials)
        body = b"object written through a COSI grant\n" * 50
        client.put_object(Bucket=first, Key="dir/obj.txt", Body=body)
        listed = client.list_objects_v2(Bucket=first)
        self.assertEqual([o["Key"] for o in listed.get("Contents", [])], ["dir/obj.txt"])
        self.assertEqual(client.get_object(Bucket=first, Key="dir/obj.txt")["Body"].read(), body)

        stranger = self.s3_client(other_grant.credentials)
        self.assertS3Error("AccessDenied", stranger.get_object, Bucket=first, Key="dir/obj.txt")
        self.assertS3Error("AccessDenied", stranger.put_object, Bucket=first, Key="intruder", Body=b"x")
        stranger.put_object(Bucket=second, Key="own", Body=b"mine")  # its own bucket works

        self.revoke(made.bucket_id, granted.account_id)
        self.assertS3Error("InvalidAccessKeyId", client.get_object, Bucket=first, Key="dir/obj.txt")
        self.revoke(made.bucket_id, granted.account_id)  # already revoked: OK
        self.revoke(other.bucket_id, other_grant.account_id)

        self.delete(made.bucket_id)
        self.delete(made.bucket_id)  # already gone: OK
        self.delete(other.bucket_id)
        self.assertEqual(self.views_of(first) + self.views_of(second), [], "the buckets' views are gone")
        self.assertFalse(os.path.exists(self.sim.fs("/k8s/" + first)), "the bucket's directory is gone")

        log = self.plugin.log()
        self.assertIn("DriverGrantBucketAccess", log, "the calls are logged (debug)")
        self.assertIn("rpc response", log, "the replies are logged (debug), so the check below means something")
        self.assertIn("***stripped***", log, "the credentials are logged redacted")
        for grant in (granted, other_grant):
            secret = grant.credentials["s3"].secrets["accessSecretKey"]
            key = grant.credentials["s3"].secrets["accessKeyID"]
            self.assertNotIn(secret, log, "a secret key reached the plugin's log")
            self.assertNotIn(key, log, "an access key reached the plugin's log")

    def test_read_only_access(self):
        bucket = self.name("bucket-interop-ro")
        made = self.create(bucket)
        self.addCleanup(self.delete, made.bucket_id)
        writer = self.grant(made.bucket_id, self.name("ba-interop-rw"))
        self.addCleanup(self.revoke, made.bucket_id, writer.account_id)
        reader = self.grant(made.bucket_id, self.name("ba-interop-ro"), parameters={"access_mode": "ReadOnly"})
        self.addCleanup(self.revoke, made.bucket_id, reader.account_id)
        self.s3_client(writer.credentials).put_object(Bucket=bucket, Key="k", Body=b"written")
        ro = self.s3_client(reader.credentials)
        self.assertEqual(ro.get_object(Bucket=bucket, Key="k")["Body"].read(), b"written")
        self.assertEqual([o["Key"] for o in ro.list_objects_v2(Bucket=bucket)["Contents"]], ["k"])
        self.assertS3Error("AccessDenied", ro.put_object, Bucket=bucket, Key="k2", Body=b"no")
        self.assertS3Error("AccessDenied", ro.delete_object, Bucket=bucket, Key="k")

    def test_iam_and_unknown_authentication_refused(self):
        made = self.create(self.name("bucket-interop-iam"))
        self.addCleanup(self.delete, made.bucket_id)
        e = self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT, self.grant, made.bucket_id, "ba-iam", cosi_pb2.IAM)
        self.assertIn("IAM authentication is not supported", e.details())
        self.assertIn("authenticationType Key", e.details())
        self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT, self.grant, made.bucket_id, "ba-unknown",
                           cosi_pb2.UnknownAuthenticationType)

    def test_required_fields(self):
        self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT, self.plugin.provisioner.DriverCreateBucket,
                           cosi_pb2.DriverCreateBucketRequest(parameters=self.params()), timeout=10)
        self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT, self.delete, "")
        self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT, self.grant, "", "ba-x")
        self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT, self.revoke, "vb1::1:/k8s/b?pool=p&scheme=http"
                           "&region=us-east-1", "")
        e = self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT, self.create, self.name("bucket-interop"),
                               colour="blue")
        self.assertIn("colour", e.details())

    def test_unknown_methods_unimplemented(self):
        self.assertRpcCode(grpc.StatusCode.UNIMPLEMENTED, raw_call, self.plugin.channel,
                           "/cosi.v1alpha1.Provisioner/DriverGetExistingBucket")
        # cosi mode serves no CSI service
        self.assertRpcCode(grpc.StatusCode.UNIMPLEMENTED, raw_call, self.plugin.channel, "/csi.v1.Identity/Probe")


class CosiOptionsTest(unittest.TestCase):
    """What cosi mode refuses at start-up, and what it says."""

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="vk-cosi-options.")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.sock = "unix://" + os.path.join(self.workdir, "cosi.sock")

    def assertRefused(self, args, why, env=None):
        rc, err = run_plugin(args, env)
        self.assertEqual(rc, 2, err)
        self.assertIn(why, err)
        return err

    def test_secret_dir_required(self):
        self.assertRefused(["--mode", "cosi", "--endpoint", self.sock], "--vms-secret-dir")

    def test_tcp_refused(self):
        err = self.assertRefused(["--mode", "cosi", "--endpoint", "tcp://127.0.0.1:1", "--vms-secret-dir",
                                  self.workdir], "unix sockets only")
        self.assertIn("--endpoint", err)
        err = self.assertRefused(["--mode", "cosi_plugin", "--vms-secret-dir", self.workdir], "unix sockets only",
                                 env={"COSI_ENDPOINT": "127.0.0.1:1"})
        self.assertIn("COSI_ENDPOINT", err)

    def test_cosi_driver_name_rule(self):
        for bad in ("-starts-with-dash", "has_underscore.io", "a" * 64):
            self.assertRefused(["--mode", "cosi", "--endpoint", self.sock, "--vms-secret-dir", self.workdir,
                                "--driver-name", bad], "--driver-name")

    def test_cosi_endpoint_environment(self):
        """Without --endpoint or CSI_ENDPOINT, cosi mode listens on $COSI_ENDPOINT."""
        secret = os.path.join(self.workdir, "secret")
        os.mkdir(secret, 0o700)
        path = os.path.join(self.workdir, "from-env.sock")
        log = open(os.path.join(self.workdir, "log"), "wb")
        self.addCleanup(log.close)
        proc = subprocess.Popen([VAST_CSI, "--mode", "cosi", "--vms-secret-dir", secret], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, env=plugin_environment({"COSI_ENDPOINT": "unix://" + path}))
        try:
            give_up = time.monotonic() + READY_TIMEOUT_S
            reply = None
            while reply is None and time.monotonic() < give_up and proc.poll() is None:
                with grpc.insecure_channel("unix://" + path, options=[("grpc.enable_http_proxy", 0)]) as ch:
                    try:
                        reply = cosi_pb2_grpc.IdentityStub(ch).DriverGetInfo(cosi_pb2.DriverGetInfoRequest(),
                                                                             timeout=1)
                    except grpc.RpcError:
                        time.sleep(0.05)
            self.assertIsNotNone(reply, "no DriverGetInfo answer on $COSI_ENDPOINT")
            self.assertEqual(reply.name, "cosi.vast-k8s.io")
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=STOP_TIMEOUT_S), 0)

    def test_help_mentions_cosi(self):
        rc, _ = run_plugin(["--help"])
        self.assertEqual(rc, 0)
        out = subprocess.run([VAST_CSI, "--help"], capture_output=True, env=plugin_environment()).stdout.decode()
        for text in ("cosi", "COSI_ENDPOINT", "cosi.vast-k8s.io", "/var/lib/cosi/cosi.sock"):
            self.assertIn(text, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
