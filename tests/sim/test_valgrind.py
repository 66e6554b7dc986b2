"""vms-sim under valgrind (memcheck): a short session touching every subsystem — HTTP and
HTTPS, tokens, managers and a tenant admin, objects, snapshots, a clone stopped mid-copy by SIGTERM, faults, admin, the
S3 data plane (when boto3 is installed) — then SIGTERM. Fails on any memory error or
definite leak.
Environment: VMS_SIM, VALGRIND (path of valgrind)."""

import json
import os
import re
import ssl
import http.client
import time
import unittest

from simlib import Api, Sim

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:
    boto3 = None

VALGRIND = os.environ.get("VALGRIND", "valgrind")


def s3_session(sim, api):
    """Keys, a policy, a bucket, and every S3 operation served, a refusal or two."""
    tenant = api.get("tenants/?name=vast-k8s")[0]["id"]
    s3_policy = api.get("viewpolicies/?name=s3_default_policy")[0]["id"]
    text = json.dumps({"Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::vg-b/no*"}]})
    policy = api.post("s3policies/", {"name": "vg", "policy": text, "tenant_id": tenant})
    owner = api.post("users/", {"name": "vg-owner", "s3_policies_ids": [policy["id"]]})
    key = api.post("users/%d/access_keys/" % owner["id"], {"tenant_id": tenant}, expect=200)
    api.post("views/", {"path": "/k8s/vg-b", "create_dir": True, "protocols": ["S3"], "bucket": "vg-b",
                        "bucket_owner": "vg-owner", "policy_id": s3_policy, "tenant_id": tenant})
    url = "http://127.0.0.1:%d" % sim.admin("GET", "listeners")["s3"]
    config = botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                    read_timeout=30, connect_timeout=30)
    s3 = boto3.session.Session().client("s3", endpoint_url=url, region_name="us-east-1", config=config,
                                        aws_access_key_id=key["access_key"], aws_secret_access_key=key["secret_key"])
    for name in ("a/1", "a/2", "b", "no/x"):
        s3.put_object(Bucket="vg-b", Key=name, Body=name.encode() * 100)
    s3.list_buckets()
    s3.head_bucket(Bucket="vg-b")
    s3.list_objects_v2(Bucket="vg-b", Delimiter="/", MaxKeys=1)
    s3.list_objects(Bucket="vg-b", Prefix="a/")
    s3.get_object(Bucket="vg-b", Key="a/1")["Body"].read()
    s3.get_object(Bucket="vg-b", Key="a/2", Range="bytes=1-5")["Body"].read()
    s3.head_object(Bucket="vg-b", Key="b")
    s3.delete_object(Bucket="vg-b", Key="b")
    for call, kw in ((s3.get_object, {"Key": "no/x"}), (s3.get_object, {"Key": "b"}), (s3.get_bucket_acl, {})):
        try:
            call(Bucket="vg-b", **kw)
        except botocore.exceptions.ClientError:
            pass
    wrong = boto3.session.Session().client("s3", endpoint_url=url, region_name="us-east-1", config=config,
                                           aws_access_key_id=key["access_key"], aws_secret_access_key="x" * 40)
    try:
        wrong.list_buckets()
    except botocore.exceptions.ClientError:
        pass
    s3.close()
    wrong.close()


def tenant_admin_session(sim, api):
    """Managers with hashed passwords, a tenant admin's logins, confinement and refusals,
    client IP ranges refused, tenants deleted with their admins."""
    ta_tenant = api.post("tenants/", {"name": "ta", "client_ip_ranges": [["10.9.0.1", "10.9.0.9"]]})
    api.call("POST", "tenants/", {"name": "tb", "client_ip_ranges": [["10.9.0.5", "fd00::1"]]})
    api.call("POST", "tenants/", {"name": "tb", "client_ip_ranges": [["::ffff:10.9.0.5", "::ffff:10.9.0.6"]]})
    manager = api.post("managers/", {"username": "ta-csi", "password": "pw", "user_type": "TENANT_ADMIN",
                                     "tenant_id": ta_tenant["id"]})
    api.ok("PATCH", "managers/%d/" % manager["id"], {"password": "pw2", "first_name": "T"})
    api.call("PATCH", "managers/%d/" % manager["id"], {"username": "renamed"})
    api.call("POST", "managers/", {"username": "ta-csi", "password": "pw"})
    ta = Api(sim, login=("ta-csi", "pw2"))
    ta.post("viewpolicies/", {"name": "ta-nfs"})
    ta.get("tenants/")
    ta.get("vtasks/")
    ta.call("GET", "managers/")
    ta.call("GET", "views/", headers={"X-Tenant-Name": "vast-k8s"})
    ta.call("DELETE", "folders/delete_folder/", {"path": "/k8s/v1"})
    sim.request("GET", "/api/v1/views/", basic=("ta-csi", "pw2"))
    sim.request("GET", "/api/v1/views/", basic=("ta-csi", "wrong"))
    only_admins = api.post("tenants/", {"name": "tc"})
    api.post("managers/", {"username": "tc-csi", "password": "pw", "user_type": "TENANT_ADMIN",
                           "tenant_id": only_admins["id"]})
    api.call("DELETE", "tenants/%d/" % only_admins["id"])
    api.call("DELETE", "tenants/%d/?force_remove=true" % ta_tenant["id"])


class ValgrindTest(unittest.TestCase):
    def test_clean_session(self):
        sim = Sim("--seed", "--clone-rate", "100000", "--log-level", "debug", "--s3", "127.0.0.1:0", https=True)
        self.addCleanup(sim.cleanup)
        vg_log = sim.data_dir + ".valgrind"
        self.addCleanup(lambda: os.path.exists(vg_log) and not os.environ.get("KEEP_VG") and os.unlink(vg_log))
        sim.start(wrapper=[VALGRIND, "--leak-check=full", "--errors-for-leak-kinds=definite",
                           "--error-exitcode=99", "--log-file=" + vg_log], timeout=60)
        api = Api(sim)
        policy = api.get("viewpolicies/?name=vast-k8s-nfs")[0]
        # a view lives in its policy's tenant, as VMS requires
        api.post("views/", {"path": "/k8s/v1", "policy_id": policy["id"], "tenant_id": policy["tenant_id"],
                            "create_dir": True})
        api.post("quotas/", {"name": "q1", "path": "/k8s/v1", "hard_limit": 1000})
        with open(sim.fs("/k8s/v1/data"), "wb") as f:
            f.write(os.urandom(300000))
        snap = api.post("snapshots/", {"name": "s1", "path": "/k8s/v1"})
        api.post("snapshots/%d/clone/" % snap["id"], {"name": "c1", "loanee_root_path": "/k8s/c1"})
        api.get("views/?page_size=1&path__startswith=/k8s")
        api.get("quotas/")
        api.get("clusters/")
        user = api.post("users/", {"name": "u"})
        api.post("users/%d/access_keys/" % user["id"], {}, expect=200)
        tenant_admin_session(sim, api)
        tenant = api.post("tenants/", {"name": "t"})
        api.call("DELETE", "tenants/%d/" % tenant["id"])
        sim.admin("POST", "faults", {"rules": [{"path": "tenants/", "error_rate": 1, "count": 1}]})
        api.call("GET", "tenants/")
        # held requests (suspended, then resumed by the timer), one still held at SIGTERM
        sim.admin("POST", "faults", {"rules": [{"path": "versions/", "latency_ms": 50, "hang_ms": 50, "count": 2},
                                               {"path": "vippools/", "hang_ms": 60000}]})
        api.get("versions/")
        held = sim.connect(timeout=30)
        held.request("GET", "/api/v1/vippools/", headers={"Authorization": "Bearer " + api.token})
        # a refused link, a delete through the tree, an invalid path
        os.symlink("/", sim.fs("/k8s/v1/up"))
        api.call("POST", "quotas/", {"name": "q2", "path": "/k8s/v1/up/tmp", "create_dir": True})
        api.call("POST", "views/", {"path": "/k8s//x", "policy_id": policy["id"], "tenant_id": policy["tenant_id"]})
        api.post("views/", {"path": "/k8s/gone/d", "policy_id": policy["id"], "tenant_id": policy["tenant_id"],
                            "create_dir": True})
        api.ok("DELETE", "folders/delete_folder/", {"path": "/k8s/gone"})
        sim.request("GET", "/api/v1/views/", basic=("admin", "123456"))
        sim.admin("POST", "tokens/expire")
        api.call("GET", "views/")
        sim.admin("GET", "inventory")
        sim.admin("GET", "stats")
        if boto3:
            s3_session(sim, Api(sim))  # a new login: the tokens above were expired
        else:
            print("S3 data plane not exercised: python3-boto3 is not installed")
        cafile = os.path.join(sim.data_dir, "tls", "cert.pem")
        conn = http.client.HTTPSConnection("127.0.0.1", sim.ports["https"],
                                           context=ssl.create_default_context(cafile=cafile), timeout=30)
        conn.request("GET", "/_sim/stats")
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()
        time.sleep(0.5)
        rc = sim.stop()
        held.close()
        with open(vg_log) as f:
            report = f.read()
        summary = report[report.find("HEAP SUMMARY"):]
        print("\n" + summary)
        self.assertEqual(rc, 0, summary)
        self.assertRegex(report, r"ERROR SUMMARY: 0 errors")
        definitely = re.search(r"definitely lost: ([\d,]+) bytes", report)
        self.assertTrue(definitely is None or definitely.group(1) == "0", summary)


if __name__ == "__main__":
    unittest.main()
