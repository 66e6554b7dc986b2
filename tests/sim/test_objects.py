"""vms-sim objects: validation and uniqueness errors, filters, list shapes, pagination,
tenant isolation, async tasks, seeding and the inventory."""

import time
import unittest
import urllib.parse

from simlib import Api, Sim, SimTestCase

NOT_FOUND = {"detail": "Not found."}


class ObjectTests(SimTestCase):
    SIM_ARGS = ("--task-delay-ms", "300")

    def test_seed_objects_exist(self):
        ids = self.seed()
        again = self.seed()
        self.assertEqual(ids, again, "seeding is idempotent")
        self.assertEqual([t["name"] for t in self.api.get("tenants/")], ["default", "vast-k8s"])
        nfs = self.api.get("viewpolicies/?name=vast-k8s-nfs")[0]
        self.assertEqual((nfs["tenant_name"], nfs["flavor"], nfs["nfs_read_write"], nfs["nfs_no_squash"]),
                         ("vast-k8s", "NFS", ["*"], ["*"]))
        self.assertEqual(self.api.get("viewpolicies/?name=s3_default_policy")[0]["flavor"], "S3_NATIVE")
        pool = self.api.get("vippools/?name=vast-k8s-pool")[0]
        self.assertEqual((pool["ip_ranges"], pool["subnet_cidr"], pool["role"], pool["domain_name"]),
                         ([["127.0.0.10", "127.0.0.13"]], 8, "PROTOCOLS", "vast-k8s"))
        qos = self.api.get("qospolicies/?name=vast-k8s-qos")[0]
        self.assertEqual(qos["static_limits"], {"max_reads_bw_mbps": 1000, "max_writes_bw_mbps": 1000})
        self.assertTrue(self.sim.fs("/k8s") and __import__("os").path.isdir(self.sim.fs("/k8s")))

    def test_seed_flag(self):
        sim = self.new_sim("--seed")
        self.assertEqual(len(Api(sim).get("viewpolicies/?tenant_name=vast-k8s")), 2)

    def test_object_common_fields(self):
        tenant = self.api.post("tenants/", {"name": "t1", "client_ip_ranges": [["10.0.0.1", "10.0.0.9"]],
                                            "some_future_field": {"kept": True}})
        self.assertEqual(tenant["name"], "t1")
        self.assertIsInstance(tenant["id"], int)
        self.assertRegex(tenant["guid"], r"^[0-9a-f-]{36}$")
        self.assertRegex(tenant["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertTrue(tenant["url"].endswith("/api/v1/tenants/%d/" % tenant["id"]))
        self.assertEqual(tenant["some_future_field"], {"kept": True})
        policy = self.api.post("viewpolicies/", {"name": "p1", "tenant_id": tenant["id"]})
        self.assertEqual(policy["tenant_name"], "t1")

    def test_required_and_unique_errors(self):
        self.assertStatus(400, self.api.call("POST", "views/", {"policy_id": 1}))
        status, body = self.api.call("POST", "quotas/", {})
        self.assertEqual((status, body), (400, {"name": ["This field is required."],
                                                "path": ["This field is required."]}))
        self.api.post("tenants/", {"name": "dup"})
        status, body = self.api.call("POST", "tenants/", {"name": "dup"})
        self.assertEqual((status, body), (400, {"name": ["This field must be unique."]}))
        self.api.post("viewpolicies/", {"name": "pol"})
        status, body = self.api.call("POST", "viewpolicies/", {"name": "pol"})
        self.assertEqual((status, body), (400, {"name": ["This field must be unique."]}))
        status, body = self.api.call("POST", "views/", {"path": "/x", "policy_id": 999, "create_dir": True})
        self.assertEqual((status, body), (400, {"policy_id": ['Invalid pk "999" - object does not exist.']}))
        status, body = self.api.call("POST", "views/", {"path": "/missing", "policy_id": 1})
        self.assertEqual((status, body), (400, {"path": ["Directory does not exist"]}))
        self.api.post("views/", {"path": "/v", "policy_id": 1, "create_dir": True})
        status, body = self.api.call("POST", "views/", {"path": "/v", "policy_id": 1, "create_dir": True})
        self.assertEqual(status, 400)
        self.assertIn("unique set", body["non_field_errors"][0])
        # renaming onto an existing name is refused too
        other = self.api.post("tenants/", {"name": "other"})
        status, body = self.api.call("PATCH", "qospolicies/%d/" % 1, {"name": "x"})
        self.assertEqual((status, body), (404, NOT_FOUND))
        status, body = self.api.call("POST", "snapshots/", {"name": "../bad", "path": "/v"})
        self.assertEqual(status, 400)
        self.assertEqual(other["name"], "other")

    def test_not_found_and_routing(self):
        for path in ("views/12345/", "nosuchcollection/", "views/abc/", "views/1/nosuchaction/"):
            self.assertEqual(self.api.call("GET", path), (404, NOT_FOUND), path)
        # a missing trailing slash answers 404, as VMS's router does
        status, body, _ = self.sim.request("GET", "/api/v1/views", token=self.api.token)
        self.assertEqual((status, body), (404, NOT_FOUND))
        self.assertStatus(405, self.api.call("DELETE", "views/"))
        self.assertStatus(405, self.api.call("POST", "versions/", {}))
        self.assertStatus(400, self.api.call("POST", "tenants/", raw_body=b"{not json"))
        for version in ("", "v1", "v2", "v3", "v4", "v5", "latest"):
            api = Api(self.sim, version=version)
            self.assertEqual(api.get("tenants/")[0]["name"], "default")

    def test_patch_delete_and_ids_never_reused(self):
        a = self.api.post("qospolicies/", {"name": "a", "mode": "STATIC"})
        patched = self.api.ok("PATCH", "qospolicies/%d/" % a["id"], {"mode": "USED_CAPACITY", "name": "ignored"})
        self.assertEqual((patched["mode"], patched["name"]), ("USED_CAPACITY", "a"))  # name is read-only
        self.api.ok("DELETE", "qospolicies/%d/" % a["id"])
        self.assertEqual(self.api.call("GET", "qospolicies/%d/" % a["id"]), (404, NOT_FOUND))
        b = self.api.post("qospolicies/", {"name": "a"})
        self.assertGreater(b["id"], a["id"])
        pool = self.api.post("vippools/", {"name": "p", "subnet_cidr": 24, "ip_ranges": [["10.0.0.1", "10.0.0.2"]]})
        status, body = self.api.call("PATCH", "vippools/%d/" % pool["id"], {"domain_name": "x"})
        self.assertEqual((status, body), (204, None))
        self.assertEqual(self.api.get("vippools/%d/" % pool["id"])["domain_name"], "x")

    def test_filters(self):
        t = self.api.post("tenants/", {"name": "tenant-b"})
        p1 = self.api.post("viewpolicies/", {"name": "alpha-policy"})
        p2 = self.api.post("viewpolicies/", {"name": "beta-policy", "tenant_id": t["id"]})
        paths = ["/k8s/pvc-1", "/k8s/pvc-2", "/other/pvc-3", "/k8s/sub/pvc-10"]
        views = [self.api.post("views/", {"path": p, "policy_id": p1["id"] if i < 3 else p2["id"],
                                          "create_dir": True, "protocols": ["NFS", "NFS4"] if i == 0 else ["NFS"],
                                          "tenant_id": 1 if i < 3 else t["id"]})
                 for i, p in enumerate(paths)]

        def names(query):
            return sorted(v["path"] for v in self.api.get("views/?" + query))

        q = urllib.parse.quote
        self.assertEqual(names("path=" + q("/k8s/pvc-1")), ["/k8s/pvc-1"])
        self.assertEqual(names("path__startswith=" + q("/k8s/")), ["/k8s/pvc-1", "/k8s/pvc-2", "/k8s/sub/pvc-10"])
        self.assertEqual(names("path__endswith=pvc-1"), ["/k8s/pvc-1"])
        self.assertEqual(names("path__contains=pvc-1"), ["/k8s/pvc-1", "/k8s/sub/pvc-10"])
        self.assertEqual(names("path__icontains=PVC-3"), ["/other/pvc-3"])
        self.assertEqual(names("path__in=" + q("/k8s/pvc-2,/other/pvc-3,/nope")), ["/k8s/pvc-2", "/other/pvc-3"])
        self.assertEqual(names("policy__name=beta-policy"), ["/k8s/sub/pvc-10"])
        self.assertEqual(names("policy__id=%d" % p1["id"]), ["/k8s/pvc-1", "/k8s/pvc-2", "/other/pvc-3"])
        self.assertEqual(names("policy_id=%d&path__contains=2" % p1["id"]), ["/k8s/pvc-2"])
        self.assertEqual(names("id=%d" % views[2]["id"]), ["/other/pvc-3"])
        self.assertEqual(names("id__in=%d,%d" % (views[0]["id"], views[3]["id"])), ["/k8s/pvc-1", "/k8s/sub/pvc-10"])
        self.assertEqual(names("id__gt=%d" % views[2]["id"]), ["/k8s/sub/pvc-10"])
        self.assertEqual(names("id__lte=%d" % views[1]["id"]), ["/k8s/pvc-1", "/k8s/pvc-2"])
        self.assertEqual(names("tenant_id=%d" % t["id"]), ["/k8s/sub/pvc-10"])
        self.assertEqual(names("tenant__name=tenant-b"), ["/k8s/sub/pvc-10"])
        self.assertEqual(names("tenant_name__icontains=TENANT"), ["/k8s/sub/pvc-10"])
        self.assertEqual(names("protocols=NFS4"), ["/k8s/pvc-1"])
        self.assertEqual(names("nosuchfield=1"), [])  # stricter than VMS: typos show
        fields = self.api.get("views/?fields=id,path&path=" + q("/k8s/pvc-2"))
        self.assertEqual(fields, [{"id": views[1]["id"], "path": "/k8s/pvc-2"}])
        self.assertEqual(self.api.get("versions/?status=success")[0]["status"], "success")
        self.assertEqual(self.api.get("versions/?status=failed"), [])

    def test_tenant_isolation(self):
        a = self.api.post("tenants/", {"name": "ta"})
        b = self.api.post("tenants/", {"name": "tb"})
        api_a = Api(self.sim, tenant="ta")
        api_b = Api(self.sim, tenant="tb")
        pa = api_a.post("viewpolicies/", {"name": "pa"})
        self.assertEqual(pa["tenant_id"], a["id"])  # creates default to the header's tenant
        pb = api_b.post("viewpolicies/", {"name": "pb"})
        va = api_a.post("views/", {"path": "/shared", "policy_id": pa["id"], "create_dir": True})
        vb = api_b.post("views/", {"path": "/shared", "policy_id": pb["id"], "create_dir": True})
        self.assertEqual(vb["tenant_id"], b["id"])  # the same path text in two tenants
        self.assertEqual([v["id"] for v in api_a.get("views/")], [va["id"]])
        self.assertEqual([v["id"] for v in api_b.get("views/")], [vb["id"]])
        self.assertEqual(api_a.call("GET", "views/%d/" % vb["id"]), (404, NOT_FOUND))
        self.assertEqual(api_a.call("DELETE", "views/%d/" % vb["id"]), (404, NOT_FOUND))
        self.assertEqual([t["name"] for t in api_a.get("tenants/")], ["ta"])
        self.assertEqual(len(self.api.get("views/")), 2)  # unscoped admin sees all

    def test_list_shapes_and_unpaged_limit(self):
        sim = self.new_sim("--unpaged-limit", "5")
        api = Api(sim)
        for i in range(8):
            api.post("qospolicies/", {"name": "q%d" % i})
        bare = api.get("qospolicies/")
        self.assertIsInstance(bare, list)
        self.assertEqual([q["name"] for q in bare], ["q%d" % i for i in range(5)])  # cut silently
        page = api.get("qospolicies/?page_size=3")
        self.assertEqual(set(page), {"count", "next", "previous", "results"})
        self.assertEqual((page["count"], len(page["results"]), page["previous"]), (8, 3, None))
        self.assertTrue(page["next"].startswith("http://127.0.0.1:%d/api/v1/qospolicies/?" % sim.ports["http"]))
        last = api.get("qospolicies/?page_size=3&page=3")
        self.assertEqual((len(last["results"]), last["next"]), (2, None))
        self.assertIn("page=2", last["previous"])
        self.assertEqual(api.call("GET", "qospolicies/?page_size=3&page=4"), (404, {"detail": "Invalid page."}))
        self.assertEqual(len(api.get("qospolicies/?page_size=5000")["results"]), 8)  # clamped to 1000

    def test_pagination_2500_objects(self):
        conn = self.sim.connect()
        token = self.api.token
        for i in range(2500):
            status, body, _ = self.sim.request("POST", "/api/v1/qospolicies/", {"name": "qos-%04d" % i},
                                               token=token, conn=conn)
            self.assertEqual(status, 201, body)
        conn.close()
        seen = []
        url = "/api/v1/qospolicies/?page_size=1000&name__startswith=qos-"
        pages = 0
        while url:
            status, body, _ = self.sim.request("GET", url, token=token)
            self.assertEqual(status, 200)
            self.assertEqual(body["count"], 2500)
            seen += [q["id"] for q in body["results"]]
            pages += 1
            nxt = body["next"]
            url = nxt and urllib.parse.urlsplit(nxt)._replace(scheme="", netloc="").geturl()
            if nxt:
                self.assertIn("name__startswith=qos-", nxt)
        self.assertEqual(pages, 3)
        self.assertEqual(len(seen), 2500)
        self.assertEqual(len(set(seen)), 2500)
        self.assertEqual(seen, sorted(seen))

    def test_async_deletes_through_vtasks(self):
        tenant = self.api.post("tenants/", {"name": "doomed"})
        pool = self.api.post("vippools/", {"name": "pool", "subnet_cidr": 24, "tenant_id": tenant["id"]})
        status, body = self.api.call("DELETE", "tenants/%d/" % tenant["id"])
        self.assertEqual(status, 409, "the tenant still owns the pool")
        status, body = self.api.call("DELETE", "vippools/%d/" % pool["id"])
        self.assertEqual(status, 200)
        task = body["async_task"]
        self.assertEqual(task["state"], "RUNNING")
        self.assertEqual(self.api.get("vtasks/%d/" % task["id"])["state"], "RUNNING")
        self.assertEqual(self.api.wait_task(task["id"])["state"], "COMPLETED")
        self.assertEqual(self.api.call("GET", "vippools/%d/" % pool["id"]), (404, NOT_FOUND))
        status, body = self.api.call("DELETE", "tenants/%d/" % tenant["id"])
        self.assertEqual(status, 200)
        done = self.api.wait_task(body["async_task"]["id"])
        self.assertEqual(done["state"], "COMPLETED")
        self.assertIsInstance(done["messages"], list)
        self.assertEqual(self.api.get("tenants/?name=doomed"), [])
        self.assertEqual(self.api.call("DELETE", "tenants/1/")[0], 409)  # default stays

    def test_force_remove_tenant(self):
        tenant = self.api.post("tenants/", {"name": "forced"})
        self.api.post("viewpolicies/", {"name": "fp", "tenant_id": tenant["id"]})
        status, body = self.api.call("DELETE", "tenants/%d/?force_remove=true" % tenant["id"])
        self.assertEqual(status, 200)
        self.assertEqual(self.api.wait_task(body["async_task"]["id"])["state"], "COMPLETED")
        inventory = self.sim.admin("GET", "inventory")
        self.assertEqual([p["name"] for p in inventory["viewpolicies"]], [])

    def test_policy_in_use_and_users(self):
        policy = self.api.post("viewpolicies/", {"name": "used"})
        view = self.api.post("views/", {"path": "/u", "policy_id": policy["id"], "create_dir": True})
        self.assertEqual(self.api.get("viewpolicies/%d/" % policy["id"])["count_views"], 1)
        self.assertEqual(self.api.call("DELETE", "viewpolicies/%d/" % policy["id"])[0], 409)
        self.api.ok("DELETE", "views/%d/" % view["id"])
        self.api.ok("DELETE", "viewpolicies/%d/" % policy["id"])
        user = self.api.post("users/", {"name": "cosi-user", "uid": 50001})
        key = self.api.post("users/%d/access_keys/" % user["id"], {"tenant_id": 1}, expect=200)
        self.assertEqual(set(key), {"access_key", "secret_key"})
        listed = self.api.get("users/%d/" % user["id"])["access_keys"]
        self.assertEqual([(k["access_key"], k["enabled"], k["tenant_id"]) for k in listed],
                         [(key["access_key"], True, 1)])
        self.assertNotIn(key["secret_key"], str(self.api.get("users/")))
        self.api.ok("DELETE", "users/%d/access_keys/" % user["id"], {"access_key": key["access_key"]})
        self.assertEqual(self.api.get("users/%d/" % user["id"])["access_keys"], [])

    def test_inventory_and_reset(self):
        self.seed()
        inventory = self.sim.admin("GET", "inventory")
        self.assertEqual(len(inventory["tenants"]), 2)
        self.assertEqual(len(inventory["viewpolicies"]), 2)
        self.sim.admin("POST", "reset")
        inventory = self.sim.admin("GET", "inventory")
        self.assertEqual([t["name"] for t in inventory["tenants"]], ["default"])
        self.assertEqual(inventory["viewpolicies"], [])
        self.assertEqual(self.api.get("tenants/")[0]["id"], 1)  # sessions survive a reset


if __name__ == "__main__":
    unittest.main()
