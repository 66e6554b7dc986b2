"""vms-sim views and their policy's tenant: VMS refuses a view in one tenant whose view
policy belongs to another, on POST views/ and on a PATCH that changes the policy."""

import json
import os
import unittest

from simlib import Api, SimTestCase


class ViewTenancyTests(SimTestCase):
    def setUp(self):
        super().setUp()
        self.ta = self.api.post("tenants/", {"name": "alpha"})
        self.tb = self.api.post("tenants/", {"name": "beta"})
        self.pa = self.api.post("viewpolicies/", {"name": "alpha-nfs", "tenant_id": self.ta["id"]})
        self.pa2 = self.api.post("viewpolicies/", {"name": "alpha-nfs-2", "tenant_id": self.ta["id"]})
        self.pb = self.api.post("viewpolicies/", {"name": "beta-nfs", "tenant_id": self.tb["id"]})
        self.pd = self.api.post("viewpolicies/", {"name": "default-nfs"})  # defaults to tenant default

    def assertCrossTenant(self, result, policy, policy_tenant, view_tenant):
        status, body = result
        self.assertEqual(status, 400, body)
        self.assertEqual(list(body), ["policy_id"], body)
        message = body["policy_id"][0]
        for text in ('"%s"' % policy["name"], '"%s"' % policy_tenant, '"%s"' % view_tenant):
            self.assertIn(text, message)
        self.assertLess(message.index(policy_tenant), message.index('"%s"' % view_tenant), message)

    def test_explicit_tenant_with_another_tenants_policy_is_refused(self):
        result = self.api.call("POST", "views/", {"path": "/a1", "policy_id": self.pb["id"],
                                                  "tenant_id": self.ta["id"], "create_dir": True})
        self.assertCrossTenant(result, self.pb, "beta", "alpha")
        # refused before anything was made: no directory, no view
        self.assertFalse(os.path.exists(self.sim.fs("/a1")))
        self.assertEqual(self.api.get("views/"), [])

    def test_defaulted_tenant_is_compared_too(self):
        # no tenant_id and no X-Tenant-Name: the view is the default tenant's
        result = self.api.call("POST", "views/", {"path": "/d1", "policy_id": self.pb["id"], "create_dir": True})
        self.assertCrossTenant(result, self.pb, "beta", "default")
        scoped = Api(self.sim, tenant="alpha")
        result = scoped.call("POST", "views/", {"path": "/s1", "policy_id": self.pb["id"], "create_dir": True})
        self.assertCrossTenant(result, self.pb, "beta", "alpha")
        self.assertEqual(self.api.get("views/"), [])

    def test_same_tenant_is_accepted(self):
        va = self.api.post("views/", {"path": "/a2", "policy_id": self.pa["id"], "tenant_id": self.ta["id"],
                                      "create_dir": True})
        self.assertEqual((va["tenant_name"], va["policy"]), ("alpha", "alpha-nfs"))
        vd = self.api.post("views/", {"path": "/d2", "policy_id": self.pd["id"], "create_dir": True})
        self.assertEqual((vd["tenant_name"], vd["policy"]), ("default", "default-nfs"))
        vs = Api(self.sim, tenant="beta").post("views/", {"path": "/b2", "policy_id": self.pb["id"],
                                                         "create_dir": True})
        self.assertEqual(vs["tenant_name"], "beta")

    def test_patch_to_another_tenants_policy_is_refused(self):
        view = self.api.post("views/", {"path": "/a3", "policy_id": self.pa["id"], "tenant_id": self.ta["id"],
                                        "create_dir": True})
        result = self.api.call("PATCH", "views/%d/" % view["id"], {"policy_id": self.pb["id"], "alias": "/x"})
        self.assertCrossTenant(result, self.pb, "beta", "alpha")
        kept = self.api.get("views/%d/" % view["id"])
        self.assertEqual((kept["policy_id"], kept.get("alias")), (self.pa["id"], None))
        # another policy of the same tenant, and changes that leave the policy alone, pass
        moved = self.api.ok("PATCH", "views/%d/" % view["id"], {"policy_id": self.pa2["id"]})
        self.assertEqual(moved["policy"], "alpha-nfs-2")
        self.api.ok("PATCH", "views/%d/" % view["id"], {"alias": "/a3-alias", "policy_id": self.pa2["id"]})
        # tenant_id is read-only on views: it cannot be used to slip past the check
        self.api.ok("PATCH", "views/%d/" % view["id"], {"tenant_id": self.tb["id"]})
        self.assertEqual(self.api.get("views/%d/" % view["id"])["tenant_id"], self.ta["id"])

    def test_missing_policy_is_still_the_reference_error(self):
        status, body = self.api.call("POST", "views/", {"path": "/m", "policy_id": 999, "tenant_id": self.ta["id"],
                                                        "create_dir": True})
        self.assertEqual((status, body), (400, {"policy_id": ['Invalid pk "999" - object does not exist.']}))


class StoredStateTests(SimTestCase):
    """Only objects that both carry a tenant_id are compared: a policy stored without one
    (an older state file) goes with views of any tenant, and a view stored before the rule
    stays editable while its policy is unchanged."""

    def edit_state(self, change):
        self.sim.stop()
        path = os.path.join(self.sim.data_dir, "state.json")
        with open(path) as f:
            state = json.load(f)
        change(state["collections"])
        with open(path, "w") as f:
            json.dump(state, f)
        self.sim.start()
        self.api = Api(self.sim)

    def test_policy_without_tenant(self):
        tenant = self.api.post("tenants/", {"name": "gamma"})
        policy = self.api.post("viewpolicies/", {"name": "old-policy", "tenant_id": tenant["id"]})
        self.edit_state(lambda c: [p.pop("tenant_id") for p in c["viewpolicies"] if p["id"] == policy["id"]])
        view = self.api.post("views/", {"path": "/o", "policy_id": policy["id"], "create_dir": True})
        self.assertEqual(view["tenant_name"], "default")

    def test_stored_cross_tenant_view_stays_editable(self):
        tenant = self.api.post("tenants/", {"name": "delta"})
        other = self.api.post("viewpolicies/", {"name": "delta-nfs", "tenant_id": tenant["id"]})
        mine = self.api.post("viewpolicies/", {"name": "default-nfs"})
        view = self.api.post("views/", {"path": "/legacy", "policy_id": mine["id"], "create_dir": True})
        self.edit_state(lambda c: [v.update(policy_id=other["id"]) for v in c["views"] if v["id"] == view["id"]])
        self.api.ok("PATCH", "views/%d/" % view["id"], {"alias": "/legacy-alias"})
        fixed = self.api.ok("PATCH", "views/%d/" % view["id"], {"policy_id": mine["id"]})
        self.assertEqual(fixed["policy"], "default-nfs")


if __name__ == "__main__":
    unittest.main()
