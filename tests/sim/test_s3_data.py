"""vms-sim's S3 data plane, driven by a real S3 client (Debian's python3-boto3): keys,
users, policies and bucket views are made through the VMS API, then boto3 signs with
those keys (SigV4) and reads and writes objects; refusals come back as S3 errors.
Skips (exit 77) only when boto3 is not installed."""

import datetime
import hashlib
import http.client
import json
import os
import sys
import unittest
import unittest.mock

try:
    import boto3
    import botocore.auth
    import botocore.awsrequest
    import botocore.config
    import botocore.credentials
    import botocore.exceptions
except ImportError:
    print("skipped: python3-boto3 is not installed (scripts/bootstrap.sh installs it)")
    sys.exit(77)

from simlib import Sim, SimTestCase

SIM_ARGS = ("--s3", "127.0.0.1:0", "--s3-https", "127.0.0.1:0", "--log-level", "debug")


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def statement(effect, actions, resources):
    return {"Effect": effect, "Action": actions, "Resource": resources}


class S3DataTests(SimTestCase):
    SIM_ARGS = SIM_ARGS

    def setUp(self):
        super().setUp()
        self.ids = self.seed()
        self.tenant = self.ids["tenant"]
        self.users = {}

    # -- VMS side ---------------------------------------------------------------

    def user(self, name, **fields):
        if name not in self.users:
            self.users[name] = self.api.post("users/", dict({"name": name}, **fields))
        return self.users[name]

    def key(self, user, tenant=None):
        return self.api.post("users/%d/access_keys/" % self.user(user)["id"], {"tenant_id": tenant or self.tenant},
                             expect=200)

    def bucket(self, name, owner):
        self.user(owner)
        return self.api.post("views/", {"path": "/k8s/" + name, "create_dir": True, "protocols": ["S3"],
                                        "bucket": name, "bucket_owner": owner, "policy_id": self.ids["s3_policy"],
                                        "tenant_id": self.tenant})

    def attach(self, user, text, name=None):
        made = self.api.post("s3policies/", {"name": name or "p-" + user, "policy": text, "tenant_id": self.tenant})
        ids = self.user(user)["s3_policies_ids"] + [made["id"]]
        self.users[user] = self.api.ok("PATCH", "users/%d/" % self.user(user)["id"], {"s3_policies_ids": ids})
        return made

    # -- S3 side ----------------------------------------------------------------

    def client(self, key, secret=None, sim=None, https=False):
        sim = sim or self.sim
        ports = sim.admin("GET", "listeners")
        url = ("https://127.0.0.1:%d" if https else "http://127.0.0.1:%d") % ports["s3_https" if https else "s3"]
        client = boto3.session.Session().client(
            "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key["access_key"],
            aws_secret_access_key=secret or key["secret_key"],
            verify=os.path.join(sim.data_dir, "tls", "cert.pem") if https else None,
            config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
        self.addCleanup(client.close)  # its connection pool
        return client

    def assertS3Error(self, code, call, *args, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            call(*args, **kw)
        self.assertEqual(caught.exception.response["Error"]["Code"], code, caught.exception.response)
        return caught.exception.response

    # -- tests ------------------------------------------------------------------

    def test_owner_puts_lists_gets_deletes(self):
        self.bucket("bucket-a", "alice")
        s3 = self.client(self.key("alice"))
        body = b"hello from boto3\n" * 100
        put = s3.put_object(Bucket="bucket-a", Key="dir/hello.txt", Body=body)
        self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
        with open(self.sim.fs("/k8s/bucket-a/dir/hello.txt"), "rb") as f:
            self.assertEqual(f.read(), body, "the object is a file of the view's directory")
        listed = s3.list_objects_v2(Bucket="bucket-a")
        self.assertEqual([(o["Key"], o["Size"], o["ETag"]) for o in listed["Contents"]],
                         [("dir/hello.txt", len(body), put["ETag"])])
        got = s3.get_object(Bucket="bucket-a", Key="dir/hello.txt")
        self.assertEqual((got["Body"].read(), got["ETag"]), (body, put["ETag"]))
        head = s3.head_object(Bucket="bucket-a", Key="dir/hello.txt")
        self.assertEqual(head["ContentLength"], len(body))
        part = s3.get_object(Bucket="bucket-a", Key="dir/hello.txt", Range="bytes=6-9")
        self.assertEqual((part["Body"].read(), part["ContentRange"]), (b"from", "bytes 6-9/%d" % len(body)))
        s3.head_bucket(Bucket="bucket-a")
        s3.delete_object(Bucket="bucket-a", Key="dir/hello.txt")
        self.assertEqual(s3.list_objects_v2(Bucket="bucket-a")["KeyCount"], 0)
        self.assertS3Error("NoSuchKey", s3.get_object, Bucket="bucket-a", Key="dir/hello.txt")
        self.assertS3Error("404", s3.head_object, Bucket="bucket-a", Key="dir/hello.txt")
        s3.delete_object(Bucket="bucket-a", Key="never-there")  # S3 answers 204 for a missing key too

    def test_listing_prefix_delimiter_pages_and_odd_keys(self):
        self.bucket("bucket-a", "alice")
        s3 = self.client(self.key("alice"))
        keys = ["a/1", "a/2", "a/b/3", "b/4", "top", "sp ace+plus=eq&amp%.txt", "ünï/cödé"]
        for key in keys:
            s3.put_object(Bucket="bucket-a", Key=key, Body=key.encode())
        everything = s3.list_objects_v2(Bucket="bucket-a")
        self.assertEqual([o["Key"] for o in everything["Contents"]], sorted(keys, key=lambda k: k.encode()))
        self.assertEqual(s3.get_object(Bucket="bucket-a", Key="ünï/cödé")["Body"].read(), "ünï/cödé".encode())
        top = s3.list_objects_v2(Bucket="bucket-a", Delimiter="/")
        self.assertEqual([p["Prefix"] for p in top["CommonPrefixes"]], ["a/", "b/", "ünï/"])
        self.assertEqual([o["Key"] for o in top["Contents"]], ["sp ace+plus=eq&amp%.txt", "top"])
        under_a = s3.list_objects_v2(Bucket="bucket-a", Prefix="a/", Delimiter="/")
        self.assertEqual(([o["Key"] for o in under_a["Contents"]], [p["Prefix"] for p in under_a["CommonPrefixes"]]),
                         (["a/1", "a/2"], ["a/b/"]))
        seen, token = [], None
        while True:
            page = s3.list_objects_v2(Bucket="bucket-a", MaxKeys=2, **({"ContinuationToken": token} if token else {}))
            self.assertLessEqual(page["KeyCount"], 2)
            seen += [o["Key"] for o in page.get("Contents", [])]
            if not page["IsTruncated"]:
                break
            token = page["NextContinuationToken"]
        self.assertEqual(seen, [o["Key"] for o in everything["Contents"]])
        v1 = s3.list_objects(Bucket="bucket-a", Marker="b/4")
        self.assertEqual([o["Key"] for o in v1["Contents"]], ["sp ace+plus=eq&amp%.txt", "top", "ünï/cödé"])
        self.assertS3Error("InvalidArgument", s3.put_object, Bucket="bucket-a", Key="a/../escape", Body=b"x")
        self.assertS3Error("InvalidArgument", s3.list_objects_v2, Bucket="bucket-a", ContinuationToken="zz")

    def test_list_buckets_shows_only_allowed(self):
        for name, owner in (("bucket-a", "alice"), ("bucket-b", "bob"), ("bucket-c", "carol")):
            self.bucket(name, owner)
        self.attach("alice", policy(statement("Allow", ["s3:GetObject"], "arn:aws:s3:::bucket-c/*")))
        names = lambda s3: [b["Name"] for b in s3.list_buckets()["Buckets"]]
        self.assertEqual(names(self.client(self.key("alice"))), ["bucket-a", "bucket-c"])
        self.assertEqual(names(self.client(self.key("bob"))), ["bucket-b"])
        self.assertEqual(names(self.client(self.key("dave"))), [])

    def test_key_of_bucket_a_refused_on_bucket_b(self):
        self.bucket("bucket-a", "alice")
        self.bucket("bucket-b", "bob")
        self.client(self.key("bob")).put_object(Bucket="bucket-b", Key="bobs", Body=b"mine")
        s3 = self.client(self.key("alice"))
        self.assertS3Error("AccessDenied", s3.put_object, Bucket="bucket-b", Key="x", Body=b"x")
        self.assertS3Error("AccessDenied", s3.get_object, Bucket="bucket-b", Key="bobs")
        self.assertS3Error("AccessDenied", s3.list_objects_v2, Bucket="bucket-b")
        self.assertS3Error("AccessDenied", s3.delete_object, Bucket="bucket-b", Key="bobs")
        self.assertS3Error("403", s3.head_bucket, Bucket="bucket-b")
        self.assertS3Error("NoSuchBucket", s3.list_objects_v2, Bucket="no-such-bucket")
        self.assertTrue(os.path.exists(self.sim.fs("/k8s/bucket-b/bobs")))

    def test_policies_allow_and_deny(self):
        self.bucket("bucket-c", "carol")
        carol = self.client(self.key("carol"))
        carol.put_object(Bucket="bucket-c", Key="public/a", Body=b"a")
        carol.put_object(Bucket="bucket-c", Key="secret/b", Body=b"b")
        reader = self.attach("dave", policy(
            statement("Allow", ["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::bucket-c", "arn:aws:s3:::bucket-c/*"]),
            statement("Deny", "s3:GetObject", "arn:aws:s3:::bucket-c/secret/*")))
        dave = self.client(self.key("dave"))
        self.assertEqual(len(dave.list_objects_v2(Bucket="bucket-c")["Contents"]), 2)
        self.assertEqual(dave.get_object(Bucket="bucket-c", Key="public/a")["Body"].read(), b"a")
        self.assertS3Error("AccessDenied", dave.get_object, Bucket="bucket-c", Key="secret/b")
        self.assertS3Error("AccessDenied", dave.put_object, Bucket="bucket-c", Key="public/new", Body=b"n")
        self.assertS3Error("AccessDenied", dave.delete_object, Bucket="bucket-c", Key="public/a")
        # a disabled policy grants nothing
        self.api.ok("PATCH", "s3policies/%d/" % reader["id"], {"enabled": False})
        self.assertS3Error("AccessDenied", dave.get_object, Bucket="bucket-c", Key="public/a")
        # a Deny wins over ownership too
        self.attach("carol", policy(statement("Deny", "s3:*", "arn:aws:s3:::bucket-c/secret/*")))
        self.assertS3Error("AccessDenied", carol.get_object, Bucket="bucket-c", Key="secret/b")
        self.assertEqual(carol.get_object(Bucket="bucket-c", Key="public/a")["Body"].read(), b"a")

    def test_disabled_and_deleted_keys_refused(self):
        self.bucket("bucket-a", "alice")
        key = self.key("alice")
        s3 = self.client(key)
        s3.put_object(Bucket="bucket-a", Key="k", Body=b"v")
        path = "users/%d/access_keys/" % self.user("alice")["id"]
        self.api.ok("PATCH", path, {"access_key": key["access_key"], "enabled": False}, expect=204)
        self.assertS3Error("InvalidAccessKeyId", s3.get_object, Bucket="bucket-a", Key="k")
        self.api.ok("PATCH", path, {"access_key": key["access_key"], "enabled": True}, expect=204)
        self.assertEqual(s3.get_object(Bucket="bucket-a", Key="k")["Body"].read(), b"v")
        self.api.ok("DELETE", path, {"access_key": key["access_key"]})
        self.assertS3Error("InvalidAccessKeyId", s3.get_object, Bucket="bucket-a", Key="k")
        self.assertS3Error("InvalidAccessKeyId", s3.list_buckets)

    def test_wrong_secret_and_unknown_key(self):
        self.bucket("bucket-a", "alice")
        key = self.key("alice")
        wrong = self.client(key, secret=key["secret_key"][:-1] + ("A" if key["secret_key"][-1] != "A" else "B"))
        error = self.assertS3Error("SignatureDoesNotMatch", wrong.list_objects_v2, Bucket="bucket-a")
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertS3Error("SignatureDoesNotMatch", wrong.put_object, Bucket="bucket-a", Key="x", Body=b"x")
        unknown = self.client({"access_key": "NOSUCHKEY0000000000", "secret_key": key["secret_key"]})
        self.assertS3Error("InvalidAccessKeyId", unknown.list_buckets)
        self.assertFalse(os.path.exists(self.sim.fs("/k8s/bucket-a/x")))

    def test_key_works_only_in_its_tenant(self):
        self.bucket("bucket-a", "alice")
        elsewhere = self.client(self.key("alice", tenant=1))  # the default tenant; the bucket is vast-k8s's
        self.assertEqual(elsewhere.list_buckets()["Buckets"], [])
        self.assertS3Error("AccessDenied", elsewhere.put_object, Bucket="bucket-a", Key="x", Body=b"x")

    def test_secret_never_shown_again_nor_logged(self):
        self.bucket("bucket-a", "alice")
        key = self.key("alice")
        self.client(key).put_object(Bucket="bucket-a", Key="k", Body=b"v")
        user = self.user("alice")["id"]
        for path in ("users/", "users/%d/" % user, "locals3keys/", "locals3keys/?user_id=%d" % user):
            text = json.dumps(self.api.get(path))
            self.assertIn(key["access_key"], text, path)
            self.assertNotIn(key["secret_key"], text, path)
        self.assertNotIn(key["secret_key"], json.dumps(self.sim.admin("GET", "inventory")))
        log = self.sim.read_log(whole=True)
        self.assertIn("s3 request", log, "the debug log was on")
        self.assertNotIn(key["secret_key"], log)

    def test_keys_survive_restart_and_kill(self):
        self.bucket("bucket-a", "alice")
        key = self.key("alice")
        self.client(key).put_object(Bucket="bucket-a", Key="k", Body=b"before")
        self.sim.restart()
        self.assertEqual(self.client(key).get_object(Bucket="bucket-a", Key="k")["Body"].read(), b"before")
        second = self.key("alice")  # acknowledged, then the simulator is killed
        self.sim.kill9()
        self.sim.start()
        s3 = self.client(second)
        s3.put_object(Bucket="bucket-a", Key="k", Body=b"after")
        self.assertEqual(self.client(key).get_object(Bucket="bucket-a", Key="k")["Body"].read(), b"after")

    def test_https_unsigned_payload(self):
        self.bucket("bucket-a", "alice")
        s3 = self.client(self.key("alice"), https=True)  # over HTTPS botocore sends UNSIGNED-PAYLOAD
        s3.put_object(Bucket="bucket-a", Key="tls", Body=b"over tls")
        self.assertEqual(s3.get_object(Bucket="bucket-a", Key="tls")["Body"].read(), b"over tls")

    # -- hand-made requests, signed by botocore's own signer ---------------------

    def signed(self, key, method, path, body=b"", headers=None, when=None):
        """(method, path, body, headers) signed with botocore's SigV4 signer, at `when`."""
        url = "http://127.0.0.1:%d%s" % (self.sim.admin("GET", "listeners")["s3"], path)
        request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers or {})
        signer = botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(key["access_key"], key["secret_key"]),
                                           "s3", "us-east-1")
        if when is None:
            signer.add_auth(request)
        else:
            class Then(datetime.datetime):
                @classmethod
                def utcnow(cls):
                    return when
            with unittest.mock.patch.object(botocore.auth.datetime, "datetime", Then):
                signer.add_auth(request)
        return dict(request.headers.items())

    def send(self, method, path, body, headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.sim.admin("GET", "listeners")["s3"], timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        finally:
            conn.close()

    def test_signature_checks(self):
        self.bucket("bucket-a", "alice")
        key = self.key("alice")
        headers = self.signed(key, "PUT", "/bucket-a/obj", b"signed body")
        self.assertEqual(self.send("PUT", "/bucket-a/obj", b"signed body", headers)[0], 200)
        status, text = self.send("PUT", "/bucket-a/obj", b"another body", headers)
        self.assertEqual(status, 400)
        self.assertIn("<Code>XAmzContentSHA256Mismatch</Code>", text)
        status, text = self.send("PUT", "/bucket-a/other", b"signed body", headers)
        self.assertEqual(status, 403)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", text)
        self.assertIn("<CanonicalRequest>", text)
        status, text = self.send("PUT", "/bucket-a/obj", b"signed body", dict(headers, **{"x-amz-meta-late": "1"}))
        self.assertEqual((status, "<Code>AccessDenied</Code>" in text), (403, True), text)
        old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
        status, text = self.send("GET", "/bucket-a/obj", b"", self.signed(key, "GET", "/bucket-a/obj", when=old))
        self.assertEqual(status, 403)
        self.assertIn("<Code>RequestTimeTooSkewed</Code>", text)
        recent = datetime.datetime.utcnow() - datetime.timedelta(minutes=10)
        self.assertEqual(self.send("GET", "/bucket-a/obj", b"", self.signed(key, "GET", "/bucket-a/obj", when=recent)),
                         (200, "signed body"), "10 minutes is within the 15 allowed")
        status, text = self.send("GET", "/bucket-a/obj", None, {"Host": "127.0.0.1"})
        self.assertEqual(status, 403)
        self.assertIn("<Code>AccessDenied</Code>", text)
        self.assertIn("<RequestId>", text)
        status, text = self.send("GET", "/bucket-a/obj", None, {"Authorization": "AWS AKID:sig"})
        self.assertEqual(status, 400)
        self.assertIn("<Code>AuthorizationHeaderMalformed</Code>", text)

    def test_unimplemented_operations_say_so(self):
        self.bucket("bucket-a", "alice")
        s3 = self.client(self.key("alice"))
        self.assertS3Error("NotImplemented", s3.create_bucket, Bucket="bucket-new")
        self.assertS3Error("NotImplemented", s3.get_bucket_acl, Bucket="bucket-a")
        self.assertS3Error("NotImplemented", s3.create_multipart_upload, Bucket="bucket-a", Key="big")
        self.assertEqual(s3.get_bucket_location(Bucket="bucket-a")["LocationConstraint"], None)


if __name__ == "__main__":
    unittest.main()
