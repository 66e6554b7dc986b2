"""vms-sim authentication: tokens, expiry, Basic, Api-Token, read-only users, tenants."""

import time
import unittest

from simlib import ADMIN, Api, Sim, SimTestCase

INVALID_TOKEN = {"detail": "Token is invalid or expired"}
PERMISSION_DENIED = {"detail": "You do not have permission to perform this action.", "code": "permission_denied"}


class TokenTests(SimTestCase):
    SIM_ARGS = ("--user", "admin:123456", "--user", "viewer:pw:with:colons:readonly",
                "--api-token", "flag-token-1")

    def test_token_issue_and_use(self):
        for path in ("/api/token/", "/api/v1/token/", "/api/latest/token/"):
            status, body, _ = self.sim.request("POST", path, {"username": "admin", "password": "123456"})
            self.assertEqual(status, 200)
            self.assertEqual(set(body), {"access", "refresh"})
            status, views, _ = self.sim.request("GET", "/api/v1/views/", token=body["access"])
            self.assertEqual((status, views), (200, []))

    def test_bad_credentials_401(self):
        status, body, _ = self.sim.request("POST", "/api/token/", {"username": "admin", "password": "wrong"})
        self.assertEqual(status, 401)
        self.assertEqual(body, {"detail": "No active account found with the given credentials"})
        status, body, _ = self.sim.request("POST", "/api/token/", {"username": "admin"})
        self.assertEqual((status, body), (400, {"password": ["This field is required."]}))

    def test_no_credentials_403(self):
        status, body, _ = self.sim.request("GET", "/api/v1/views/")
        self.assertEqual(status, 403)
        self.assertEqual(body, {"detail": "Authentication credentials were not provided."})

    def test_unknown_bearer_token_exact_403(self):
        # vast-csi 2.5 starts every session with "Bearer #" and expects exactly this.
        for token in ("#", "not-a-token"):
            status, body, _ = self.sim.request("GET", "/api/v1/views/", token=token)
            self.assertEqual((status, body), (403, INVALID_TOKEN))

    def test_expire_endpoint_and_refresh(self):
        token = self.sim.login()
        status, body, _ = self.sim.request("POST", "/api/token/", {"username": "admin", "password": "123456"})
        refresh = body["refresh"]
        self.sim.admin("POST", "tokens/expire")
        for old in (token, body["access"]):
            status, payload, _ = self.sim.request("GET", "/api/v1/tenants/", token=old)
            self.assertEqual((status, payload), (403, INVALID_TOKEN))
        status, body, _ = self.sim.request("POST", "/api/token/refresh/", {"refresh": refresh})
        self.assertEqual(status, 200, body)
        status, _, _ = self.sim.request("GET", "/api/v1/tenants/", token=body["access"])
        self.assertEqual(status, 200)
        status, body, _ = self.sim.request("POST", "/api/token/refresh/", {"refresh": "bogus"})
        self.assertEqual(status, 401)
        stats = self.sim.admin("GET", "stats")
        self.assertGreaterEqual(stats["tokens_issued"], 3)

    def test_readonly_user(self):
        token = self.sim.login("viewer", "pw:with:colons")
        status, _, _ = self.sim.request("GET", "/api/v1/views/", token=token)
        self.assertEqual(status, 200)
        for method, path, body in (("POST", "/api/v1/tenants/", {"name": "t"}),
                                   ("PATCH", "/api/v1/tenants/1/", {"name": "x"}),
                                   ("DELETE", "/api/v1/tenants/1/", None)):
            status, payload, _ = self.sim.request(method, path, body, token=token)
            self.assertEqual((status, payload), (403, PERMISSION_DENIED))

    def test_basic_auth(self):
        status, body, _ = self.sim.request("GET", "/api/tenants/", basic=ADMIN)
        self.assertEqual(status, 200)
        self.assertEqual([t["name"] for t in body], ["default"])
        status, body, _ = self.sim.request("POST", "/api/tenants/", {"name": "basic-made"}, basic=ADMIN)
        self.assertEqual(status, 201)
        status, body, _ = self.sim.request("GET", "/api/tenants/", basic=("admin", "nope"))
        self.assertEqual(status, 403)
        status, body, _ = self.sim.request("POST", "/api/tenants/", {"name": "x"},
                                           basic=("viewer", "pw:with:colons"))
        self.assertEqual((status, body), (403, PERMISSION_DENIED))

    def test_api_token(self):
        hdr = {"Authorization": "Api-Token flag-token-1"}
        status, _, _ = self.sim.request("GET", "/api/v5/views/", headers=hdr)
        self.assertEqual(status, 200)
        made = self.api.post("apitokens/", {"name": "ci"})
        self.assertEqual(set(made), {"id", "token"})
        hdr = {"Authorization": "Api-Token " + made["token"]}
        status, body, _ = self.sim.request("POST", "/api/v5/tenants/", {"name": "by-api-token"}, headers=hdr)
        self.assertEqual(status, 201, body)
        listed = self.api.get("apitokens/")
        self.assertEqual(listed[0]["owner"], "admin")
        self.assertNotIn("token", listed[0])
        self.assertNotIn("_token", listed[0])
        self.api.ok("PATCH", "apitokens/%d/revoke/" % made["id"])
        status, body, _ = self.sim.request("GET", "/api/v5/views/", headers=hdr)
        self.assertEqual(status, 403)
        status, body, _ = self.sim.request("GET", "/api/v5/views/", headers={"Authorization": "Api-Token nope"})
        self.assertEqual(status, 403)

    def test_unknown_tenant_header(self):
        status, body, _ = self.sim.request("GET", "/api/v1/views/", token=self.api.token,
                                           headers={"X-Tenant-Name": "no-such-tenant"})
        self.assertEqual((status, body), (403, PERMISSION_DENIED))


class TokenLifetimeTests(unittest.TestCase):
    def test_token_lifetime_1s(self):
        sim = Sim("--token-lifetime", "1")
        self.addCleanup(sim.cleanup)
        sim.start()
        token = sim.login()
        status, _, _ = sim.request("GET", "/api/v1/views/", token=token)
        self.assertEqual(status, 200)
        time.sleep(1.2)
        status, body, _ = sim.request("GET", "/api/v1/views/", token=token)
        self.assertEqual((status, body), (403, INVALID_TOKEN))
        Api(sim).get("views/")  # a fresh login works again


if __name__ == "__main__":
    unittest.main()
