"""vms-sim managers/ and tenant admins: the accounts of the management API, their
passwords (hashed, never answered), their logins, and a TENANT_ADMIN's confinement to
its own tenant whatever it sends (docs/vms-sim.md, "Tenant admins")."""

import base64
import json
import os
import unittest

from simlib import ADMIN, Api, SimTestCase

NOT_FOUND = {"detail": "Not found."}
PERMISSION_DENIED = {"detail": "You do not have permission to perform this action.", "code": "permission_denied"}
SECRET = "s3cr3t-Pa55word"


def manager_body(username, **fields):
    body = {"username": username, "password": SECRET}
    body.update(fields)
    return body


class ManagersTests(SimTestCase):
    SIM_ARGS = ("--user", "admin:123456", "--user", "viewer:pw:readonly", "--log-level", "debug")

    def setUp(self):
        super().setUp()
        self.alpha = self.api.post("tenants/", {"name": "alpha"})

    def test_create_read_list_and_filters(self):
        sup = self.api.post("managers/", manager_body("ops", first_name="Ada", last_name="L"))
        self.assertEqual((sup["username"], sup["user_type"], sup["tenant_id"], sup["tenant_name"]),
                         ("ops", "SUPER_ADMIN", None, None))
        self.assertEqual((sup["first_name"], sup["last_name"], sup["password_expiration_disabled"]),
                         ("Ada", "L", False))
        for key in ("id", "guid", "url", "created"):
            self.assertIn(key, sup)
        ta = self.api.post("managers/", manager_body("alpha-csi", user_type="TENANT_ADMIN",
                                                     tenant_id=self.alpha["id"],
                                                     password_expiration_disabled=True))
        self.assertEqual((ta["user_type"], ta["tenant_id"], ta["tenant_name"], ta["password_expiration_disabled"]),
                         ("TENANT_ADMIN", self.alpha["id"], "alpha", True))
        self.assertEqual(self.api.get("managers/%d/" % ta["id"]), ta)
        self.assertEqual([m["username"] for m in self.api.get("managers/")], ["ops", "alpha-csi"])
        self.assertEqual([m["id"] for m in self.api.get("managers/?username=alpha-csi")], [ta["id"]])
        self.assertEqual([m["id"] for m in self.api.get("managers/?tenant_id=%d" % self.alpha["id"])], [ta["id"]])
        self.assertEqual([m["id"] for m in self.api.get("managers/?user_type=SUPER_ADMIN")], [sup["id"]])
        self.assertEqual(self.api.get("managers/?username=nobody"), [])
        page = self.api.get("managers/?page_size=1&page=2")
        self.assertEqual((page["count"], [m["id"] for m in page["results"]]), (2, [ta["id"]]))
        self.assertIsNone(page["next"])
        self.assertEqual(self.api.call("GET", "managers/999/"), (404, NOT_FOUND))

    def test_required_choices_and_tenant(self):
        status, body = self.api.call("POST", "managers/", {})
        self.assertEqual((status, body), (400, {"username": ["This field is required."],
                                               "password": ["This field is required."]}))
        status, body = self.api.call("POST", "managers/", manager_body("x", user_type="ROOT"))
        self.assertEqual((status, list(body)), (400, ["user_type"]))
        status, body = self.api.call("POST", "managers/", manager_body("x", user_type="TENANT_ADMIN"))
        self.assertEqual((status, list(body)), (400, ["tenant_id"]))
        self.assertIn("TENANT_ADMIN", body["tenant_id"][0])
        status, body = self.api.call("POST", "managers/", manager_body("x", user_type="TENANT_ADMIN", tenant_id=99))
        self.assertEqual((status, body), (400, {"tenant_id": ['Invalid pk "99" - object does not exist.']}))
        status, body = self.api.call("POST", "managers/", manager_body("x", tenant_id=self.alpha["id"]))
        self.assertEqual((status, list(body)), (400, ["tenant_id"]), "a SUPER_ADMIN has no tenant")
        for field, value in (("password", 7), ("password", ""), ("username", 5), ("first_name", ["a"]),
                             ("password_expiration_disabled", "yes")):
            body = dict(manager_body("x"), **{field: value})
            status, body = self.api.call("POST", "managers/", body)
            self.assertEqual((status, list(body)), (400, [field]), (field, value))
        self.assertEqual(self.api.get("managers/"), [], "nothing made by a refused create")

    def test_username_unique_also_against_user_flag(self):
        self.api.post("managers/", manager_body("ops"))
        unique = {"username": ["This field must be unique."]}
        self.assertEqual(self.api.call("POST", "managers/", manager_body("ops")), (400, unique))
        self.assertEqual(self.api.call("POST", "managers/", manager_body("ops", user_type="TENANT_ADMIN",
                                                                        tenant_id=self.alpha["id"])), (400, unique))
        for flag_user in ("admin", "viewer"):
            self.assertEqual(self.api.call("POST", "managers/", manager_body(flag_user)), (400, unique))
        self.assertEqual(len(self.api.get("managers/")), 1)

    def stored_state(self):
        """state.json after a clean stop, which folds the journal into it; the journal
        before that must not hold the secret either."""
        journal = os.path.join(self.sim.data_dir, "state.json.journal")
        with open(journal) as f:
            self.assertNotIn(SECRET, f.read())
        self.sim.restart()
        with open(os.path.join(self.sim.data_dir, "state.json")) as f:
            return f.read()

    def test_password_is_never_answered_or_stored(self):
        made = self.api.post("managers/", manager_body("alpha-csi", user_type="TENANT_ADMIN",
                                                       tenant_id=self.alpha["id"]))
        self.api.ok("PATCH", "managers/%d/" % made["id"], {"password": SECRET + "-2"})
        answers = [made, self.api.get("managers/"), self.api.get("managers/%d/" % made["id"]),
                   self.sim.admin("GET", "inventory")]
        for answer in answers:
            text = json.dumps(answer)
            self.assertNotIn(SECRET, text)
            self.assertNotIn('"password"', text)
            self.assertNotIn("pbkdf2", text)
        state_text = self.stored_state()
        self.assertNotIn(SECRET, state_text)
        log = self.sim.read_log(whole=True)
        self.assertIn("managers", log, "the debug log has a line per request")
        self.assertNotIn(SECRET, log)
        hashes = [value for value in _walk_strings(json.loads(state_text)) if value.startswith("pbkdf2_sha256$")]
        self.assertEqual(len(hashes), 1, "one salted hash for one manager")
        self.assertRegex(hashes[0], r"^pbkdf2_sha256\$\d+\$[0-9a-f]{32}\$[0-9a-f]{64}$")
        # two managers with one password: different salts, different hashes
        self.api.post("managers/", manager_body("twin"))
        hashes = [v for v in _walk_strings(json.loads(self.stored_state())) if v.startswith("pbkdf2_sha256$")]
        self.assertEqual(len(set(hashes)), 2)

    def test_patch_rules(self):
        made = self.api.post("managers/", manager_body("alpha-csi", user_type="TENANT_ADMIN",
                                                       tenant_id=self.alpha["id"]))
        url = "managers/%d/" % made["id"]
        patched = self.api.ok("PATCH", url, {"password_expiration_disabled": True, "first_name": "F",
                                             "last_name": "L"})
        self.assertEqual((patched["password_expiration_disabled"], patched["first_name"], patched["last_name"]),
                         (True, "F", "L"))
        beta = self.api.post("tenants/", {"name": "beta"})
        for field, value in (("username", "renamed"), ("user_type", "SUPER_ADMIN"), ("tenant_id", beta["id"]),
                             ("tenant_id", None)):
            status, body = self.api.call("PATCH", url, {field: value, "first_name": "changed"})
            self.assertEqual((status, list(body)), (400, [field]), (field, value))
            self.assertIn("cannot be changed", body[field][0])
        # the same values again are no change
        same = self.api.ok("PATCH", url, {"username": "alpha-csi", "user_type": "TENANT_ADMIN",
                                          "tenant_id": self.alpha["id"]})
        self.assertEqual(same, patched, "refused PATCHes changed nothing")
        self.assertEqual(self.api.call("PATCH", url, {"password": ""})[0], 400)
        self.sim.login("alpha-csi", SECRET)
        self.api.ok("PATCH", url, {"password": "new-one"})
        status, _, _ = self.sim.request("POST", "/api/token/", {"username": "alpha-csi", "password": SECRET})
        self.assertEqual(status, 401, "the old password no longer logs in")
        self.sim.login("alpha-csi", "new-one")

    def test_delete_ends_logins_and_tokens(self):
        made = self.api.post("managers/", manager_body("ops"))
        token = self.sim.login("ops", SECRET)
        api_token = self.sim.request("POST", "/api/v1/apitokens/", {"name": "t"}, token=token)[1]["token"]
        status, _, _ = self.sim.request("GET", "/api/v1/views/", headers={"Authorization": "Api-Token " + api_token})
        self.assertEqual(status, 200)
        self.api.ok("DELETE", "managers/%d/" % made["id"])
        self.assertEqual(self.api.call("GET", "managers/%d/" % made["id"]), (404, NOT_FOUND))
        status, body, _ = self.sim.request("GET", "/api/v1/views/", token=token)
        self.assertEqual((status, body), (403, {"detail": "Token is invalid or expired"}))
        status, _, _ = self.sim.request("POST", "/api/token/", {"username": "ops", "password": SECRET})
        self.assertEqual(status, 401)
        revoked = [t for t in self.api.get("apitokens/") if t["owner"] == "ops"]
        self.assertEqual([(t["revoked"], t["revocation_time"] is not None) for t in revoked], [(True, True)])
        # a new manager of the same name does not inherit the old one's API token
        self.api.post("managers/", manager_body("ops"))
        status, body, _ = self.sim.request("GET", "/api/v1/views/", headers={"Authorization": "Api-Token " + api_token})
        self.assertEqual((status, body), (403, {"detail": "Invalid token."}))

    def test_only_cluster_admins_use_managers(self):
        ta = self.api.post("managers/", manager_body("alpha-csi", user_type="TENANT_ADMIN",
                                                     tenant_id=self.alpha["id"]))
        tenant_admin = Api(self.sim, login=("alpha-csi", SECRET))
        for method, path, body in (("GET", "managers/", None), ("GET", "managers/%d/" % ta["id"], None),
                                   ("POST", "managers/", manager_body("sneaky")),
                                   ("PATCH", "managers/%d/" % ta["id"], {"first_name": "x"}),
                                   ("DELETE", "managers/%d/" % ta["id"], None)):
            self.assertEqual(tenant_admin.call(method, path, body), (403, PERMISSION_DENIED), (method, path))
        self.assertEqual([m["username"] for m in self.api.get("managers/")], ["alpha-csi"])
        # a SUPER_ADMIN manager is a cluster admin: it manages managers and tenants
        self.api.post("managers/", manager_body("ops"))
        ops = Api(self.sim, login=("ops", SECRET))
        ops.post("managers/", manager_body("ops-2"))
        ops.post("tenants/", {"name": "gamma"})
        self.assertEqual(len(ops.get("tenants/")), 3)
        # the read-only --user reads them, writes none
        viewer = Api(self.sim, login=("viewer", "pw"))
        self.assertEqual(len(viewer.get("managers/")), 3)
        self.assertEqual(viewer.call("POST", "managers/", manager_body("v2")), (403, PERMISSION_DENIED))


def _walk_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item)


class LoginTests(SimTestCase):
    def setUp(self):
        super().setUp()
        self.alpha = self.api.post("tenants/", {"name": "alpha"})
        self.api.post("managers/", manager_body("alpha-csi", user_type="TENANT_ADMIN", tenant_id=self.alpha["id"]))

    def basic(self, user, password, path="/api/v1/tenants/"):
        auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        status, body, _ = self.sim.request("GET", path, headers={"Authorization": "Basic " + auth})
        return status, body

    def test_token_refresh_and_basic(self):
        status, body, _ = self.sim.request("POST", "/api/token/", {"username": "alpha-csi", "password": SECRET})
        self.assertEqual((status, set(body)), (200, {"access", "refresh"}))
        status, tenants, _ = self.sim.request("GET", "/api/v1/tenants/", token=body["access"])
        self.assertEqual((status, [t["name"] for t in tenants]), (200, ["alpha"]))
        status, fresh, _ = self.sim.request("POST", "/api/token/refresh/", {"refresh": body["refresh"]})
        self.assertEqual(status, 200)
        status, tenants, _ = self.sim.request("GET", "/api/v1/tenants/", token=fresh["access"])
        self.assertEqual((status, [t["name"] for t in tenants]), (200, ["alpha"]), "a refreshed token stays confined")
        status, tenants = self.basic("alpha-csi", SECRET)
        self.assertEqual((status, [t["name"] for t in tenants]), (200, ["alpha"]))

    def test_wrong_password(self):
        for user, password in (("alpha-csi", "wrong"), ("alpha-csi", SECRET.upper()), ("nobody", SECRET)):
            status, body, _ = self.sim.request("POST", "/api/token/", {"username": user, "password": password})
            self.assertEqual((status, body), (401, {"detail": "No active account found with the given credentials"}))
            self.assertEqual(self.basic(user, password), (403, {"detail": "Invalid username/password."}))

    def test_managers_and_sessions_survive_a_restart(self):
        token = self.sim.login("alpha-csi", SECRET)
        self.sim.restart()
        status, tenants, _ = self.sim.request("GET", "/api/v1/tenants/", token=token)
        self.assertEqual((status, [t["name"] for t in tenants]), (200, ["alpha"]), "a session, still confined")
        fresh = Api(self.sim, login=("alpha-csi", SECRET))  # the stored hash still checks the password
        self.assertEqual([t["name"] for t in fresh.get("tenants/")], ["alpha"])
        status, _, _ = self.sim.request("POST", "/api/token/", {"username": "alpha-csi", "password": "wrong"})
        self.assertEqual(status, 401)

    def test_reset_empties_managers_and_ends_their_sessions(self):
        token = self.sim.login("alpha-csi", SECRET)
        self.sim.admin("POST", "reset")
        status, body, _ = self.sim.request("GET", "/api/v1/views/", token=token)
        self.assertEqual((status, body), (403, {"detail": "Token is invalid or expired"}))
        self.assertEqual(self.api.get("managers/"), [], "the --user admin's session survives the reset")

    def test_tenant_header_ignored_on_login(self):
        status, body, _ = self.sim.request("POST", "/api/token/", {"username": "alpha-csi", "password": SECRET},
                                           headers={"X-Tenant-Name": "default"})
        self.assertEqual(status, 200, body)


class ConfinementTests(SimTestCase):
    """alpha's tenant admin against objects of alpha, beta and default."""

    SIM_ARGS = ("--task-delay-ms", "50")

    def setUp(self):
        super().setUp()
        api = self.api
        self.alpha = api.post("tenants/", {"name": "alpha"})
        self.beta = api.post("tenants/", {"name": "beta"})
        self.objs = {}
        for tenant in (self.alpha, self.beta):
            name, tid = tenant["name"], tenant["id"]
            objs = self.objs[name] = {}
            objs["viewpolicies"] = api.post("viewpolicies/", {"name": name + "-nfs", "tenant_id": tid})
            objs["qospolicies"] = api.post("qospolicies/", {"name": name + "-qos", "tenant_id": tid})
            objs["vippools"] = api.post("vippools/", {"name": name + "-pool", "subnet_cidr": 24, "tenant_id": tid,
                                                      "ip_ranges": [["10.%d.0.1" % tid, "10.%d.0.9" % tid]]})
            objs["views"] = api.post("views/", {"path": "/%s/v" % name, "policy_id": objs["viewpolicies"]["id"],
                                                "tenant_id": tid, "create_dir": True})
            objs["quotas"] = api.post("quotas/", {"name": name + "-q", "path": "/%s/v" % name, "tenant_id": tid})
            objs["snapshots"] = api.post("snapshots/", {"name": name + "-snap", "path": "/%s/v" % name,
                                                        "tenant_id": tid})
        default_pool = api.post("vippools/", {"name": "default-pool", "subnet_cidr": 24})
        self.admin_task = api.call("DELETE", "vippools/%d/" % default_pool["id"])[1]["async_task"]
        api.post("managers/", manager_body("alpha-csi", user_type="TENANT_ADMIN", tenant_id=self.alpha["id"]))
        self.ta = Api(self.sim, login=("alpha-csi", SECRET))

    def ids(self, items):
        return [item["id"] for item in items]

    def test_lists_show_only_its_tenant(self):
        for coll in ("viewpolicies", "qospolicies", "views", "quotas", "snapshots", "vippools"):
            self.assertEqual(self.ids(self.ta.get(coll + "/")), [self.objs["alpha"][coll]["id"]], coll)
            # a filter cannot widen it
            self.assertEqual(self.ta.get("%s/?tenant_id=%d" % (coll, self.beta["id"])), [], coll)
        self.assertEqual([t["name"] for t in self.ta.get("tenants/")], ["alpha"])
        self.assertEqual(len(self.api.get("views/")), 2, "the cluster admin still sees both")

    def test_other_tenants_objects_are_not_found(self):
        for coll, obj in self.objs["beta"].items():
            url = "%s/%d/" % (coll, obj["id"])
            self.assertEqual(self.ta.call("GET", url), (404, NOT_FOUND), url)
            if coll not in ("vippools",):
                self.assertEqual(self.ta.call("PATCH", url, {"comment": "x"}), (404, NOT_FOUND), url)
                self.assertEqual(self.ta.call("DELETE", url), (404, NOT_FOUND), url)
        self.assertEqual(self.ta.call("GET", "tenants/%d/" % self.beta["id"]), (404, NOT_FOUND))
        self.assertEqual(self.ta.call("GET", "tenants/1/"), (404, NOT_FOUND))
        self.assertEqual(self.ta.get("tenants/%d/" % self.alpha["id"])["name"], "alpha")
        snap = self.objs["beta"]["snapshots"]
        status, _ = self.ta.call("POST", "snapshots/%d/clone/" % snap["id"], {"name": "steal", "loanee_root_path": "/x"})
        self.assertEqual(status, 404)
        inventory = self.sim.admin("GET", "inventory")
        for coll, obj in self.objs["beta"].items():
            self.assertIn(obj["id"], self.ids(inventory[coll]), "beta's %s is untouched" % coll)

    def test_tenant_header_other_than_its_own_is_refused(self):
        for name in ("beta", "default", "no-such-tenant"):
            self.assertEqual(Api(self.sim, tenant=name, login=("alpha-csi", SECRET)).call("GET", "views/"),
                             (403, PERMISSION_DENIED), name)
        own = Api(self.sim, tenant="alpha", login=("alpha-csi", SECRET))
        self.assertEqual(self.ids(own.get("views/")), [self.objs["alpha"]["views"]["id"]])

    def test_creates_land_in_its_tenant_and_other_tenant_ids_are_refused(self):
        made = self.ta.post("viewpolicies/", {"name": "alpha-extra"})
        self.assertEqual((made["tenant_id"], made["tenant_name"]), (self.alpha["id"], "alpha"))
        same = self.ta.post("qospolicies/", {"name": "alpha-q2", "tenant_id": self.alpha["id"]})
        self.assertEqual(same["tenant_id"], self.alpha["id"])
        for coll, body in (("viewpolicies/", {"name": "evil-nfs"}), ("qospolicies/", {"name": "evil-q"}),
                           ("quotas/", {"name": "evil", "path": "/alpha/v"}),
                           ("views/", {"path": "/evil", "create_dir": True,
                                       "policy_id": self.objs["beta"]["viewpolicies"]["id"]})):
            for tenant in (self.beta["id"], 1):
                body = dict(body, tenant_id=tenant)
                self.assertEqual(self.ta.call("POST", coll, body), (403, PERMISSION_DENIED), (coll, tenant))
        self.assertFalse(os.path.exists(self.sim.fs("/evil")))
        # another tenant's policies do not exist for it, not even by name in an error
        beta_policy, beta_qos = self.objs["beta"]["viewpolicies"], self.objs["beta"]["qospolicies"]
        own_policy = self.objs["alpha"]["viewpolicies"]["id"]
        for body, field, shown in (({"policy_id": beta_policy["id"]}, "policy_id", str(beta_policy["id"])),
                                   ({"policy_id": own_policy, "qos_policy_id": beta_qos["id"]}, "qos_policy_id",
                                    str(beta_qos["id"])),
                                   ({"policy_id": own_policy, "qos_policy": "beta-qos"}, "qos_policy", "beta-qos")):
            status, answer = self.ta.call("POST", "views/", dict(body, path="/evil", create_dir=True))
            self.assertEqual((status, list(answer)), (400, [field]), body)
            self.assertIn("does not exist", answer[field][0])
            self.assertIn(shown, answer[field][0])
            self.assertNotIn('tenant "beta"', answer[field][0])  # as a cluster admin's cross-tenant 400 would say
            self.assertNotIn("beta-nfs", answer[field][0])
        self.assertFalse(os.path.exists(self.sim.fs("/evil")))
        # moving its own object to another tenant is refused too
        policy = self.objs["alpha"]["viewpolicies"]
        self.assertEqual(self.ta.call("PATCH", "viewpolicies/%d/" % policy["id"], {"tenant_id": self.beta["id"]}),
                         (403, PERMISSION_DENIED))
        self.assertEqual(self.api.get("viewpolicies/%d/" % policy["id"])["tenant_id"], self.alpha["id"])

    def test_tenants_are_read_only(self):
        own = "tenants/%d/" % self.alpha["id"]
        for method, path, body in (("POST", "tenants/", {"name": "mine"}), ("PATCH", own, {"comment": "x"}),
                                   ("DELETE", own, None), ("DELETE", "tenants/%d/" % self.beta["id"], None)):
            self.assertEqual(self.ta.call(method, path, body), (403, PERMISSION_DENIED), (method, path))
        self.assertEqual(len(self.api.get("tenants/")), 3)
        self.assertNotIn("comment", self.api.get(own))

    def test_vippools_bound_to_it_are_read_only(self):
        mine = self.objs["alpha"]["vippools"]
        self.assertEqual(self.ta.get("vippools/%d/" % mine["id"])["name"], "alpha-pool")
        for method, path, body in (("POST", "vippools/", {"name": "p", "subnet_cidr": 24}),
                                   ("PATCH", "vippools/%d/" % mine["id"], {"ip_ranges": [["1.1.1.1", "1.1.1.2"]]}),
                                   ("DELETE", "vippools/%d/" % mine["id"], None),
                                   ("PATCH", "vippools/%d/" % self.objs["beta"]["vippools"]["id"], {"subnet_cidr": 8})):
            self.assertEqual(self.ta.call(method, path, body), (403, PERMISSION_DENIED), (method, path))
        self.assertEqual(self.api.get("vippools/%d/" % mine["id"])["ip_ranges"], mine["ip_ranges"])

    def test_system_collections_and_own_tasks(self):
        self.assertEqual(len(self.ta.get("clusters/")), 1)
        self.assertEqual(len(self.ta.get("versions/")), 1)
        self.assertEqual(self.ta.get("vtasks/"), [], "the cluster admin's task is not its")
        self.assertEqual(self.ta.call("GET", "vtasks/%d/" % self.admin_task["id"]), (404, NOT_FOUND))
        # a task it started itself (stopping its own clone stream) is listed
        snap = self.objs["alpha"]["snapshots"]
        stream = self.ta.post("snapshots/%d/clone/" % snap["id"], {"name": "alpha-clone",
                                                                   "loanee_root_path": "/alpha/clone"})
        self.assertEqual(stream["loanee_tenant_id"], self.alpha["id"])
        task = self.ta.ok("PATCH", "globalsnapstreams/%d/stop/" % stream["id"])["async_task"]
        self.assertEqual(self.ids(self.ta.get("vtasks/")), [task["id"]])
        self.assertEqual(self.ta.wait_task(task["id"])["state"], "COMPLETED")
        self.assertEqual(sorted(self.ids(self.api.get("vtasks/"))), sorted([self.admin_task["id"], task["id"]]))
        status, _ = self.ta.call("POST", "snapshots/%d/clone/" % snap["id"],
                                 {"name": "alpha-clone-2", "loanee_root_path": "/alpha/c2",
                                  "loanee_tenant_id": self.beta["id"]})
        self.assertEqual(status, 403, "a clone into another tenant")
        self.assertFalse(os.path.exists(self.sim.fs("/alpha/c2")))

    def test_driver_calls_work_inside_its_tenant(self):
        """What the CSI driver and the COSI provisioner do with tenant-admin credentials."""
        policy = self.ta.get("viewpolicies/?name=alpha-nfs")[0]
        qos = self.ta.get("qospolicies/?name=alpha-qos")[0]
        view = self.ta.post("views/", {"path": "/alpha/pvc-1", "policy_id": policy["id"], "create_dir": True,
                                       "protocols": ["NFS"], "qos_policy_id": qos["id"]})
        self.assertEqual((view["tenant_name"], view["policy"], view["qos_policy"]), ("alpha", "alpha-nfs", "alpha-qos"))
        quota = self.ta.post("quotas/", {"name": "pvc-1", "path": "/alpha/pvc-1", "hard_limit": 1 << 30})
        self.ta.ok("PATCH", "quotas/%d/" % quota["id"], {"hard_limit": 2 << 30})
        snap = self.ta.post("snapshots/", {"name": "pvc-1-snap", "path": "/alpha/pvc-1"})
        self.assertEqual(snap["tenant_id"], self.alpha["id"])
        self.ta.ok("DELETE", "snapshots/%d/" % snap["id"])
        self.ta.ok("DELETE", "quotas/%d/" % quota["id"])
        self.ta.ok("DELETE", "views/%d/" % view["id"])
        status, _ = self.ta.call("DELETE", "folders/delete_folder/", {"path": "/alpha/pvc-1"})
        self.assertEqual(status, 204)
        self.assertFalse(os.path.exists(self.sim.fs("/alpha/pvc-1")))
        status, _ = self.ta.call("DELETE", "folders/delete_folder/", {"path": "/alpha/v", "tenant_id": self.beta["id"]})
        self.assertEqual(status, 403)
        self.assertTrue(os.path.isdir(self.sim.fs("/alpha/v")))
        # local users and their S3 keys, in its tenant only
        user = self.ta.post("users/", {"name": "alpha-bucket-owner", "uid": 5001})
        status, key = self.ta.call("POST", "users/%d/access_keys/" % user["id"], {})
        self.assertEqual(status, 200, key)
        status, _ = self.ta.call("POST", "users/%d/access_keys/" % user["id"], {"tenant_id": self.beta["id"]})
        self.assertEqual(status, 403)
        keys = self.ta.get("locals3keys/")
        self.assertEqual([(k["access_key"], k["tenant_id"]) for k in keys], [(key["access_key"], self.alpha["id"])])
        self.assertNotIn(key["secret_key"], json.dumps(keys))

    def test_delete_folder_stays_out_of_other_tenants_trees(self):
        os.makedirs(self.sim.fs("/beta/v/sub"))
        os.makedirs(self.sim.fs("/alpha/v/sub"))
        for path in ("/beta/v", "/beta/v/", "/beta", "/beta/v/sub"):
            self.assertEqual(self.ta.call("DELETE", "folders/delete_folder/", {"path": path}),
                             (403, PERMISSION_DENIED), path)
        self.assertTrue(os.path.isdir(self.sim.fs("/beta/v/sub")))
        os.makedirs(self.sim.fs("/beta-other"))  # a sibling whose name only starts alike
        self.assertEqual(self.ta.call("DELETE", "folders/delete_folder/", {"path": "/beta-other"})[0], 204)
        self.assertEqual(self.ta.call("DELETE", "folders/delete_folder/", {"path": "/alpha/v/sub"})[0], 204)
        self.assertFalse(os.path.exists(self.sim.fs("/alpha/v/sub")))
        # the cluster admin is not held back
        self.assertEqual(self.api.call("DELETE", "folders/delete_folder/", {"path": "/beta/v/sub"})[0], 204)

    def test_paths_stay_out_of_other_tenants_trees(self):
        policy = self.objs["alpha"]["viewpolicies"]["id"]
        for coll, body in (("views/", {"path": "/beta/v", "policy_id": policy}),
                           ("views/", {"path": "/beta/v/inner", "policy_id": policy, "create_dir": True}),
                           ("views/", {"path": "/", "policy_id": policy}),
                           ("quotas/", {"name": "peek", "path": "/beta"}),
                           ("snapshots/", {"name": "peek", "path": "/beta/v"})):
            self.assertEqual(self.ta.call("POST", coll, body), (403, PERMISSION_DENIED), (coll, body))
        self.assertFalse(os.path.exists(self.sim.fs("/beta/v/inner")))
        self.assertFalse(os.path.exists(self.sim.fs("/beta/v/.snapshot/peek")))
        snap = self.objs["alpha"]["snapshots"]
        status, body = self.ta.call("POST", "snapshots/%d/clone/" % snap["id"],
                                    {"name": "into-beta", "loanee_root_path": "/beta/v/planted"})
        self.assertEqual((status, body), (403, PERMISSION_DENIED))
        self.assertFalse(os.path.exists(self.sim.fs("/beta/v/planted")))
        # a clone stream's destination is another tenant's tree too
        beta_snap = self.objs["beta"]["snapshots"]
        self.api.post("snapshots/%d/clone/" % beta_snap["id"], {"name": "beta-copy", "loanee_root_path": "/beta-copy"})
        self.assertEqual(self.ta.call("DELETE", "folders/delete_folder/", {"path": "/beta-copy"}),
                         (403, PERMISSION_DENIED))
        # its own and unclaimed trees are its to use, siblings with a common prefix too
        made = self.ta.post("views/", {"path": "/beta-look-alike", "policy_id": policy, "create_dir": True})
        self.assertEqual(made["tenant_id"], self.alpha["id"])
        self.ta.post("quotas/", {"name": "alpha-sub", "path": "/alpha/sub", "create_dir": True})
        self.ta.post("snapshots/", {"name": "alpha-snap-2", "path": "/alpha/v"})

    def test_api_token_and_basic_of_a_tenant_admin_are_confined(self):
        made = self.ta.post("apitokens/", {"name": "driver"})
        self.assertEqual([t["id"] for t in self.ta.get("apitokens/")], [made["id"]])
        self.api.post("apitokens/", {"name": "cluster-admin's"})
        self.assertEqual([t["id"] for t in self.ta.get("apitokens/")], [made["id"]], "only its own tokens")
        headers = {"Authorization": "Api-Token " + made["token"]}
        status, tenants, _ = self.sim.request("GET", "/api/v1/tenants/", headers=headers)
        self.assertEqual((status, [t["name"] for t in tenants]), (200, ["alpha"]))
        status, body, _ = self.sim.request("POST", "/api/v1/tenants/", {"name": "x"}, headers=headers)
        self.assertEqual((status, body), (403, PERMISSION_DENIED))
        status, body, _ = self.sim.request("GET", "/api/v1/views/", headers=dict(headers, **{"X-Tenant-Name": "beta"}))
        self.assertEqual((status, body), (403, PERMISSION_DENIED))
        status, views, _ = self.sim.request("GET", "/api/v1/views/", basic=("alpha-csi", SECRET))
        self.assertEqual((status, self.ids(views)), (200, [self.objs["alpha"]["views"]["id"]]))
        status, body, _ = self.sim.request("GET", "/api/v1/managers/", basic=("alpha-csi", SECRET))
        self.assertEqual((status, body), (403, PERMISSION_DENIED))


class TenantRulesTests(SimTestCase):
    def test_client_ip_ranges_must_not_overlap(self):
        alpha = self.api.post("tenants/", {"name": "alpha", "client_ip_ranges": [["10.0.0.1", "10.0.0.9"],
                                                                                ["fd00::10", "fd00::1f"]]})
        self.assertEqual(alpha["client_ip_ranges"], [["10.0.0.1", "10.0.0.9"], ["fd00::10", "fd00::1f"]])
        for ranges, theirs in (([["10.0.0.9", "10.0.0.20"]], "10.0.0.1-10.0.0.9"),
                               ([["10.0.0.0", "10.0.1.0"]], "10.0.0.1-10.0.0.9"),
                               ([["10.0.0.3", "10.0.0.3"]], "10.0.0.1-10.0.0.9"),
                               ([["192.168.0.1", "192.168.0.2"], ["fd00::1f", "fd00::ff"]], "fd00::10-fd00::1f"),
                               ([["::ffff:10.0.0.5", "::ffff:10.0.0.6"]], "10.0.0.1-10.0.0.9")):
            status, body = self.api.call("POST", "tenants/", {"name": "beta", "client_ip_ranges": ranges})
            self.assertEqual((status, list(body)), (400, ["client_ip_ranges"]), ranges)
            self.assertIn("overlaps tenant alpha (its range %s)" % theirs, body["client_ip_ranges"][0])
        # adjacent ranges and the same numbers in the other family are not overlaps
        beta = self.api.post("tenants/", {"name": "beta", "client_ip_ranges": [["10.0.0.10", "10.0.0.20"],
                                                                              ["::a00:1", "::a00:9"],
                                                                              ["fd00::20", "fd00::30"]]})
        self.assertEqual([t["name"] for t in self.api.get("tenants/")], ["default", "alpha", "beta"])
        # PATCH: a tenant may overlap itself, not another
        self.api.ok("PATCH", "tenants/%d/" % alpha["id"], {"client_ip_ranges": [["10.0.0.1", "10.0.0.5"],
                                                                               ["10.0.0.4", "10.0.0.9"]]})
        status, body = self.api.call("PATCH", "tenants/%d/" % beta["id"], {"client_ip_ranges": [["10.0.0.5", "10.0.0.5"]]})
        self.assertEqual(status, 400)
        self.assertIn("overlaps tenant alpha", body["client_ip_ranges"][0])
        self.assertEqual(self.api.get("tenants/%d/" % beta["id"])["client_ip_ranges"][0], ["10.0.0.10", "10.0.0.20"])
        # once alpha lets go of its range, beta may take it
        self.api.ok("PATCH", "tenants/%d/" % alpha["id"], {"client_ip_ranges": []})
        self.api.ok("PATCH", "tenants/%d/" % beta["id"], {"client_ip_ranges": [["10.0.0.5", "10.0.0.5"]]})

    def test_client_ip_ranges_must_parse(self):
        for ranges, fragment in (("10.0.0.1", "pairs"), ([["10.0.0.1"]], "pairs"), ([[1, 2]], "pairs"),
                                 ([["10.0.0.300", "10.0.0.1"]], '"10.0.0.300" is not'),
                                 ([["10.0.0.1", "host.example"]], '"host.example" is not'),
                                 ([["10.0.0.9", "10.0.0.1"]], "starts after it ends"),
                                 ([["fd00::9", "fd00::1"]], "starts after it ends"),
                                 ([["10.0.0.1", "fd00::1"]], "mixes IPv4 and IPv6")):
            status, body = self.api.call("POST", "tenants/", {"name": "t", "client_ip_ranges": ranges})
            self.assertEqual((status, list(body)), (400, ["client_ip_ranges"]), ranges)
            self.assertIn(fragment, body["client_ip_ranges"][0], ranges)
        self.assertEqual(len(self.api.get("tenants/")), 1)
        tenant = self.api.post("tenants/", {"name": "t"})
        self.assertEqual(tenant["client_ip_ranges"], [])

    def test_capacity_rules_and_qos_kept_as_given(self):
        capacity = {"soft_limit": 8 << 40, "hard_limit": 10 << 40, "grace_period": "86400",
                    "notify_soft_limit": True}
        qos = {"static_limits": {"max_writes_bw_mbps": 1000, "burst_writes_bw_mb": 5000,
                                 "burst_writes_loan_mb": 300000, "max_reads_iops": 0}}
        made = self.api.post("tenants/", {"name": "t", "capacity_rules": capacity, "qos": qos})
        self.assertEqual((made["capacity_rules"], made["qos"]), (capacity, qos))
        got = self.api.get("tenants/%d/" % made["id"])
        self.assertEqual((got["capacity_rules"], got["qos"]), (capacity, qos))
        qos2 = {"static_limits": {"max_writes_bw_mbps": 2000}}
        patched = self.api.ok("PATCH", "tenants/%d/" % made["id"], {"qos": qos2})
        self.assertEqual((patched["capacity_rules"], patched["qos"]), (capacity, qos2))
        for field, value in (("capacity_rules", 5), ("qos", "fast"), ("qos", {"static_limits": [1]})):
            status, body = self.api.call("PATCH", "tenants/%d/" % made["id"], {field: value})
            self.assertEqual((status, list(body)), (400, [field]), (field, value))
        self.assertEqual(self.api.get("tenants/%d/" % made["id"])["qos"], qos2)

    def test_tenant_with_admins_needs_force_remove(self):
        tenant = self.api.post("tenants/", {"name": "doomed"})
        other = self.api.post("tenants/", {"name": "stays"})
        for name, tid in (("doomed-csi", tenant["id"]), ("doomed-cosi", tenant["id"]), ("stays-csi", other["id"])):
            self.api.post("managers/", manager_body(name, user_type="TENANT_ADMIN", tenant_id=tid))
        self.api.post("managers/", manager_body("ops"))
        token = self.sim.login("doomed-csi", SECRET)
        status, body = self.api.call("DELETE", "tenants/%d/" % tenant["id"])
        self.assertEqual(status, 409)
        self.assertIn("doomed-csi, doomed-cosi", body["detail"])
        self.assertIn("force_remove", body["detail"])
        self.assertNotIn("stays-csi", body["detail"])
        self.assertEqual(len(self.api.get("managers/")), 4)
        status, body = self.api.call("DELETE", "tenants/%d/?force_remove=true" % tenant["id"])
        self.assertEqual(status, 200, body)
        self.assertEqual(self.api.wait_task(body["async_task"]["id"])["state"], "COMPLETED")
        self.assertEqual(sorted(m["username"] for m in self.api.get("managers/")), ["ops", "stays-csi"])
        status, _, _ = self.sim.request("GET", "/api/v1/views/", token=token)
        self.assertEqual(status, 403, "the removed tenant admin's session is over")
        # without admins (and objects), no force is needed
        self.api.ok("DELETE", "managers/%d/" % self.api.get("managers/?username=stays-csi")[0]["id"])
        status, body = self.api.call("DELETE", "tenants/%d/" % other["id"])
        self.assertEqual(status, 200, body)


class WriteStatsTests(SimTestCase):
    def writes(self):
        stats = self.sim.admin("GET", "stats")
        return stats["writes"], stats["writes_total"]

    def test_writes_counted_by_collection(self):
        self.sim.admin("POST", "stats/reset")
        self.assertEqual(self.writes(), ({}, 0))
        tenant = self.api.post("tenants/", {"name": "t"})
        policy = self.api.post("viewpolicies/", {"name": "p", "tenant_id": tenant["id"]})
        self.api.ok("PATCH", "viewpolicies/%d/" % policy["id"], {"nfs_read_write": ["*"]})
        self.api.ok("PUT", "viewpolicies/%d/" % policy["id"], {"nfs_read_write": ["10.0.0.0/8"]})
        pool = self.api.post("vippools/", {"name": "pool", "subnet_cidr": 24, "tenant_id": tenant["id"]})
        self.api.ok("PATCH", "vippools/%d/" % pool["id"], {"domain_name": "t"}, expect=204)
        self.api.ok("DELETE", "vippools/%d/" % pool["id"], expect=200)  # async: 200 with its task
        self.api.post("managers/", manager_body("t-csi", user_type="TENANT_ADMIN", tenant_id=tenant["id"]))
        self.assertEqual(self.writes(), ({"tenants": 1, "viewpolicies": 3, "vippools": 3, "managers": 1}, 8))
        # reads, logins, refused and failed writes are not writes
        self.sim.login()
        self.sim.login("t-csi", SECRET)
        self.api.get("tenants/")
        self.api.get("viewpolicies/%d/" % policy["id"])
        self.assertEqual(self.api.call("POST", "viewpolicies/", {"name": "p"})[0], 400)
        self.assertEqual(self.api.call("PATCH", "views/99/", {"alias": "/x"})[0], 404)
        self.assertEqual(self.api.call("DELETE", "tenants/1/")[0], 409)
        self.assertEqual(Api(self.sim, login=("t-csi", SECRET)).call("POST", "tenants/", {"name": "x"})[0], 403)
        self.assertEqual(self.writes(), ({"tenants": 1, "viewpolicies": 3, "vippools": 3, "managers": 1}, 8))
        # an injected error changes nothing and is no write
        self.sim.admin("POST", "faults", {"rules": [{"method": "POST", "path": "qospolicies/", "error_status": 503,
                                                     "count": 1}]})
        self.assertEqual(self.api.call("POST", "qospolicies/", {"name": "q"})[0], 503)
        self.api.post("qospolicies/", {"name": "q"})
        status, _ = self.api.call("DELETE", "folders/delete_folder/", {"path": "/nothing-here"})
        self.assertEqual(status, 400)
        writes, total = self.writes()
        self.assertEqual((writes["qospolicies"], total), (1, 9))
        stats = self.sim.admin("POST", "stats/reset")
        self.assertEqual((stats["writes"], stats["writes_total"]), ({}, 0))
        self.assertEqual(self.writes(), ({}, 0))


if __name__ == "__main__":
    unittest.main()
