"""vms-sim plugins/usage/: the usage report VMS 5.2+ clients POST right after login.

Accepted when authenticated (201, the report echoed), refused like every other route
without credentials, counted in /_sim/stats, never stored."""

import unittest

from simlib import Sim, SimTestCase

REPORT = {"vendor": "vastdata", "name": "vast-k8s", "version": "0.1.0", "platform": "kubernetes"}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}


class PluginsUsageTests(SimTestCase):
    def test_report_is_accepted_under_every_prefix(self):
        for prefix in ("/api/v1/", "/api/v5/", "/api/latest/", "/api/"):
            status, body, _ = self.sim.request("POST", prefix + "plugins/usage/", REPORT, token=self.api.token)
            self.assertEqual((status, body), (201, REPORT), prefix)

    def test_empty_body_is_an_empty_report(self):
        status, body, _ = self.sim.request("POST", "/api/v1/plugins/usage/", token=self.api.token)
        self.assertEqual((status, body), (201, {}))

    def test_unauthenticated_is_refused_as_elsewhere(self):
        status, body, _ = self.sim.request("POST", "/api/v1/plugins/usage/", REPORT)
        self.assertEqual((status, body), (403, NO_CREDENTIALS))
        self.assertEqual(self.sim.request("POST", "/api/v1/views/", {})[:2], (403, NO_CREDENTIALS))
        status, body, _ = self.sim.request("POST", "/api/v1/plugins/usage/", REPORT, token="not-a-token")
        self.assertEqual((status, body), (403, {"detail": "Token is invalid or expired"}))
        status, _, _ = self.sim.request("POST", "/api/v1/plugins/usage/", REPORT, basic=("admin", "wrong"))
        self.assertEqual(status, 403)
        status, _, _ = self.sim.request("POST", "/api/v1/plugins/usage/", REPORT, basic=("admin", "123456"))
        self.assertEqual(status, 201)

    def test_bad_bodies_and_methods(self):
        self.assertEqual(self.api.call("POST", "plugins/usage/", ["not", "an", "object"])[0], 400)
        status, body, _ = self.sim.request("POST", "/api/v1/plugins/usage/", token=self.api.token,
                                           raw_body=b"{not json", headers={"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        self.assertTrue(body["detail"].startswith("JSON parse error"), body)
        self.assertEqual(self.api.call("GET", "plugins/usage/"), (405, {"detail": 'Method "GET" not allowed.'}))
        # VMS's router needs the trailing slash; other plugins are unknown
        status, _, _ = self.sim.request("POST", "/api/v1/plugins/usage", REPORT, token=self.api.token)
        self.assertEqual(status, 404)
        self.assertEqual(self.api.call("POST", "plugins/other/", REPORT)[0], 404)
        self.assertEqual(self.api.call("POST", "plugins/", REPORT)[0], 404)

    def test_counted_in_stats_and_not_stored(self):
        before = self.sim.admin("GET", "inventory")
        self.sim.admin("POST", "stats/reset")
        for _ in range(3):
            self.api.post("plugins/usage/", REPORT)
        self.sim.request("POST", "/api/v1/plugins/usage/", REPORT)  # refused, still a request
        stats = self.sim.admin("GET", "stats")
        self.assertEqual(stats["requests"].get("POST plugins/usage/"), 4, stats)
        self.assertEqual(self.sim.admin("GET", "inventory"), before)

    def test_read_only_user_is_refused(self):
        sim = self.new_sim("--user", "admin:123456", "--user", "viewer:secret:readonly")
        token = sim.login("viewer", "secret")
        status, body, _ = sim.request("POST", "/api/v1/plugins/usage/", REPORT, token=token)
        self.assertEqual((status, body["code"]), (403, "permission_denied"))


class OlderReleaseTests(unittest.TestCase):
    def test_before_5_2_the_endpoint_does_not_exist(self):
        sim = Sim("--sys-version", "5.1.9")
        self.addCleanup(sim.cleanup)
        sim.start()
        status, body, _ = sim.request("POST", "/api/v1/plugins/usage/", REPORT, token=sim.login())
        self.assertEqual((status, body), (404, {"detail": "Not found."}))
        sim2 = Sim("--sys-version", "5.2.0")
        self.addCleanup(sim2.cleanup)
        sim2.start()
        self.assertEqual(sim2.request("POST", "/api/v1/plugins/usage/", REPORT, token=sim2.login())[0], 201)


if __name__ == "__main__":
    unittest.main()
