"""vms-sim's S3 objects on the VMS API: local providers, users (unique per provider, with
S3 policies attached), S3 identity policies, access keys (the secret shown once, never
again), locals3keys/, and the rules of bucket views. The data plane is test_s3_data.py."""

import json
import unittest

from simlib import SimTestCase

ALLOW_ALL_A = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::bucket-a", "arn:aws:s3:::bucket-a/*"]}]})


class S3ObjectTests(SimTestCase):
    def setUp(self):
        super().setUp()
        self.ids = self.seed()
        self.tenant = self.ids["tenant"]

    def bucket_view(self, bucket, owner, tenant=None, **extra):
        body = {"path": "/k8s/" + bucket, "create_dir": True, "protocols": ["S3"], "bucket": bucket,
                "bucket_owner": owner, "policy_id": self.ids["s3_policy"], "tenant_id": tenant or self.tenant}
        body.update(extra)
        return self.api.call("POST", "views/", body)

    def test_local_providers_and_user_uniqueness(self):
        builtin = self.api.get("localproviders/")
        self.assertEqual([(p["id"], p["name"]) for p in builtin], [(1, "local")])
        other = self.api.post("localproviders/", {"name": "partners", "managed_by": "TENANT_ADMIN"})
        first = self.api.post("users/", {"name": "alice"})
        self.assertEqual((first["local_provider_id"], first["local_provider"]), (1, {"id": 1, "name": "local"}))
        self.assertEqual((first["allow_create_bucket"], first["s3_policies_ids"], first["access_keys"]),
                         (False, [], []))
        # the same name in another provider is another user; twice in one provider is not
        self.api.post("users/", {"name": "alice", "local_provider_id": other["id"]})
        self.assertEqual(self.api.call("POST", "users/", {"name": "alice"}),
                         (400, {"non_field_errors": ["The fields local_provider_id, name must make a unique set."]}))
        self.assertEqual(self.api.call("POST", "users/", {"name": "x", "local_provider_id": 99}),
                         (400, {"local_provider_id": ['Invalid pk "99" - object does not exist.']}))
        self.assertEqual(self.api.call("DELETE", "localproviders/1/")[0], 409)
        self.assertEqual(self.api.call("DELETE", "localproviders/%d/" % other["id"])[0], 409)  # alice is in it
        self.assertEqual(self.api.call("POST", "localproviders/", {"name": "bad", "managed_by": "NOBODY"})[0], 400)
        self.assertEqual(self.api.get("localproviders/%d/" % other["id"])["assigned_tenants_preview"], [])
        self.assertEqual(self.api.get("localproviders/1/")["assigned_tenants_preview"], ["default", "vast-k8s"])

    def test_s3_policies_validate_and_attach(self):
        bad_json = self.api.call("POST", "s3policies/", {"name": "p", "policy": "{not json"})
        self.assertEqual((bad_json[0], list(bad_json[1])), (400, ["policy"]))
        not_action = json.dumps({"Statement": [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]})
        status, body = self.api.call("POST", "s3policies/", {"name": "p", "policy": not_action})
        self.assertEqual(status, 400)
        self.assertIn("NotAction", body["policy"][0])
        no_effect = json.dumps({"Statement": [{"Action": "s3:*", "Resource": "*"}]})
        self.assertEqual(self.api.call("POST", "s3policies/", {"name": "p", "policy": no_effect})[0], 400)
        self.assertEqual(self.api.call("POST", "s3policies/", {"name": "p"}),
                         (400, {"policy": ["This field is required."]}))
        policy = self.api.post("s3policies/", {"name": "a-all", "policy": ALLOW_ALL_A, "tenant_id": self.tenant})
        self.assertEqual((policy["enabled"], policy["tenant_name"], policy["users"], policy["policy"]),
                         (True, "vast-k8s", [], ALLOW_ALL_A))
        self.assertEqual(self.api.call("POST", "s3policies/", {"name": "a-all", "policy": ALLOW_ALL_A,
                                                               "tenant_id": self.tenant})[0], 400)
        user = self.api.post("users/", {"name": "bob", "s3_policies_ids": [policy["id"]]})
        self.assertEqual(user["s3_policies"], [{"id": policy["id"], "name": "a-all"}])
        self.assertEqual(self.api.get("s3policies/%d/" % policy["id"])["users"], ["bob"])
        self.assertEqual(self.api.call("PATCH", "users/%d/" % user["id"], {"s3_policies_ids": [policy["id"], 77]}),
                         (400, {"s3_policies_ids": ['Invalid pk "77" - object does not exist.']}))
        # a policy that goes is detached
        self.api.ok("DELETE", "s3policies/%d/" % policy["id"])
        self.assertEqual(self.api.get("users/%d/" % user["id"])["s3_policies_ids"], [])

    def test_access_keys_secret_only_once(self):
        user = self.api.post("users/", {"name": "carol"})
        key = self.api.post("users/%d/access_keys/" % user["id"], {"tenant_id": self.tenant}, expect=200)
        self.assertEqual(set(key), {"access_key", "secret_key"})
        secret = key["secret_key"]
        self.assertEqual(len(secret), 40)
        listed = self.api.get("users/%d/" % user["id"])["access_keys"]
        self.assertEqual([(k["access_key"], k["enabled"], k["tenant_id"]) for k in listed],
                         [(key["access_key"], True, self.tenant)])
        self.assertIn("creation_time", listed[0])
        all_keys = self.api.get("locals3keys/?tenant_id=%d&user_id=%d" % (self.tenant, user["id"]))
        self.assertEqual([(k["access_key"], k["tenant"], k["user"]) for k in all_keys],
                         [(key["access_key"], {"id": self.tenant, "name": "vast-k8s"},
                           {"id": user["id"], "name": "carol"})])
        self.assertEqual(self.api.get("locals3keys/?tenant_id=1"), [])
        # no later answer holds the secret
        for path in ("users/", "users/%d/" % user["id"], "locals3keys/", "locals3keys/%d/" % all_keys[0]["id"]):
            self.assertNotIn(secret, json.dumps(self.api.get(path)), path)
        self.assertNotIn(secret, json.dumps(self.sim.admin("GET", "inventory")))
        self.assertEqual(self.api.call("GET", "locals3keys/?_secret_key=" + secret)[1], [])

    def test_access_key_patch_and_delete(self):
        user = self.api.post("users/", {"name": "dave"})
        path = "users/%d/access_keys/" % user["id"]
        key = self.api.post(path, {"tenant_id": self.tenant}, expect=200)["access_key"]
        self.assertEqual(self.api.call("PATCH", path, {"access_key": key, "enabled": False}), (204, None))
        self.assertFalse(self.api.get("users/%d/" % user["id"])["access_keys"][0]["enabled"])
        self.assertEqual(self.api.call("PATCH", path, {"access_key": key}), (400, {"enabled": ["This field is required."]}))
        self.assertEqual(self.api.call("PATCH", path, {"access_key": key, "enabled": "no"})[0], 400)
        self.assertEqual(self.api.call("PATCH", path, {"access_key": "NOPE", "enabled": True})[0], 404)
        other = self.api.post("users/", {"name": "erin"})
        self.assertEqual(self.api.call("DELETE", "users/%d/access_keys/" % other["id"], {"access_key": key})[0], 404,
                         "another user's key")
        self.assertEqual(self.api.call("DELETE", path, {"access_key": key}), (204, None))
        self.assertEqual(self.api.call("DELETE", path, {"access_key": key})[0], 404)
        self.assertEqual(self.api.get("locals3keys/"), [])

    def test_access_key_tenant_and_chosen_keys(self):
        user = self.api.post("users/", {"name": "frank"})
        path = "users/%d/access_keys/" % user["id"]
        self.assertEqual(self.api.call("POST", path, {"tenant_id": 99}),
                         (400, {"tenant_id": ['Invalid pk "99" - object does not exist.']}))
        status, _ = self.api.call("POST", path, {"tenant_id": 1}, headers={"X-Tenant-Name": "vast-k8s"})
        self.assertEqual(status, 403, "a scoped request cannot make keys of another tenant")
        scoped = self.api.call("POST", path, {}, headers={"X-Tenant-Name": "vast-k8s"})[1]
        self.assertEqual(self.api.get("users/%d/" % user["id"])["access_keys"][0]["tenant_id"], self.tenant)
        chosen = self.api.post(path, {"access_key": "MYKEY123", "secret_key": "my/secret+key"}, expect=200)
        self.assertEqual(chosen, {"access_key": "MYKEY123", "secret_key": "my/secret+key"})
        self.assertEqual(self.api.call("POST", path, {"access_key": "MYKEY123", "secret_key": "x"}),
                         (400, {"access_key": ["access_key_in_use"]}))
        self.assertEqual(self.api.call("POST", path, {"access_key": "has space", "secret_key": "x"})[0], 400)
        # the user goes, its keys with it
        self.api.ok("DELETE", "users/%d/" % user["id"])
        self.assertEqual([k["access_key"] for k in self.api.get("locals3keys/")], [])
        self.assertNotEqual(scoped["access_key"], chosen["access_key"])

    def test_bucket_view_rules(self):
        self.assertEqual(self.bucket_view("bucket-a", None)[1], {"bucket_owner": ["This field is required."]})
        status, body = self.api.call("POST", "views/", {"path": "/k8s/x", "create_dir": True, "protocols": ["S3"],
                                                        "policy_id": self.ids["s3_policy"], "tenant_id": self.tenant})
        self.assertEqual((status, body), (400, {"bucket": ["This field is required."],
                                                "bucket_owner": ["This field is required."]}))
        status, body = self.bucket_view("bucket-a", "nobody")
        self.assertEqual((status, list(body)), (400, ["bucket_owner"]))
        for bad in ("ab", "Bucket-A", "bucket_a", "-bucket", "bucket..a", "192.168.1.1", "b" * 64):
            status, body = self.bucket_view(bad, "nobody")
            self.assertEqual((status, list(body)), (400, ["bucket"]), bad)
        self.api.post("users/", {"name": "alice"})
        view = self.assertStatus(201, self.bucket_view("bucket-a", "alice"))
        self.assertEqual((view["bucket"], view["bucket_owner"], view["protocols"]), ("bucket-a", "alice", ["S3"]))
        # bucket names are unique across the cluster, across tenants too
        self.assertEqual(self.api.call("POST", "views/", {"path": "/other", "create_dir": True, "protocols": ["S3"],
                                                          "bucket": "bucket-a", "bucket_owner": "alice",
                                                          "policy_id": self.api.post("viewpolicies/", {"name": "d"})["id"]}),
                         (400, {"bucket": ["This field must be unique."]}))
        # the owner must be a user of the tenant's local provider
        partners = self.api.post("localproviders/", {"name": "partners"})
        tenant = self.api.post("tenants/", {"name": "t2", "local_provider_id": partners["id"]})
        policy = self.api.post("viewpolicies/", {"name": "t2-s3", "tenant_id": tenant["id"], "flavor": "S3_NATIVE"})
        body = {"path": "/t2/bucket-b", "create_dir": True, "protocols": ["S3"], "bucket": "bucket-b",
                "bucket_owner": "alice", "policy_id": policy["id"], "tenant_id": tenant["id"]}
        self.assertEqual(list(self.api.call("POST", "views/", body)[1]), ["bucket_owner"])
        self.api.post("users/", {"name": "alice", "local_provider_id": partners["id"]})
        self.api.post("views/", body)


if __name__ == "__main__":
    unittest.main()
