"""vms-sim fault injection and request statistics."""

import http.client
import socket
import time
import unittest

from simlib import Sim, SimTestCase

UNAVAILABLE = {"detail": "Service temporarily unavailable, try again later."}


class FaultTests(SimTestCase):
    def set_faults(self, *rules):
        return self.sim.admin("POST", "faults", {"rules": list(rules)})

    def timed_get(self, path="views/"):
        t0 = time.monotonic()
        status, body = self.api.call("GET", path)
        return status, body, (time.monotonic() - t0) * 1000

    def test_latency(self):
        self.set_faults({"method": "GET", "path": "views/", "latency_ms": 150, "jitter_ms": 20})
        status, _, ms = self.timed_get("views/")
        self.assertEqual(status, 200)
        self.assertGreaterEqual(ms, 150)
        _, _, ms = self.timed_get("tenants/")  # other paths are not delayed
        self.assertLess(ms, 150)
        self.sim.admin("DELETE", "faults")
        _, _, ms = self.timed_get("views/")
        self.assertLess(ms, 150)

    def test_error_rate_with_count(self):
        self.set_faults({"path": "views/", "error_rate": 1.0, "error_status": 503, "count": 2})
        self.assertEqual(self.api.call("GET", "views/"), (503, UNAVAILABLE))
        self.assertEqual(self.api.call("POST", "views/", {"path": "/x", "policy_id": 1}), (503, UNAVAILABLE))
        self.assertEqual(self.api.call("GET", "views/")[0], 200, "count exhausted")
        self.set_faults({"method": "POST", "path": "tenants/", "error_rate": 1.0, "error_status": 500})
        self.assertEqual(self.api.call("POST", "tenants/", {"name": "never"})[0], 500)
        self.assertEqual(self.api.get("tenants/?name=never"), [], "a failed request changes nothing")

    def test_faults_flag(self):
        sim = self.new_sim("--faults", '{"rules": [{"path": "tenants/", "error_rate": 1, "count": 1}]}')
        from simlib import Api
        api = Api(sim)
        self.assertEqual(api.call("GET", "tenants/")[0], 503)
        self.assertEqual(api.call("GET", "tenants/")[0], 200)

    def test_drop_closes_without_response(self):
        self.set_faults({"method": "POST", "path": "tenants/", "drop": True, "count": 1})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine)):
            self.api.call("POST", "tenants/", {"name": "dropped"})
        # the change was made; only the answer was lost (what a retrying client must survive)
        self.assertEqual(len(self.api.get("tenants/?name=dropped")), 1)
        self.assertEqual(self.api.call("POST", "tenants/", {"name": "next"})[0], 201)

    def test_hang_holds_only_its_connection(self):
        self.set_faults({"method": "GET", "path": "views/", "hang_ms": 3000})
        conn = self.sim.connect(timeout=0.5)
        with self.assertRaises(socket.timeout):
            self.sim.request("GET", "/api/v1/views/", token=self.api.token, conn=conn)
        conn.close()
        t0 = time.monotonic()
        self.assertEqual(self.api.call("GET", "tenants/")[0], 200)
        self.assertLess(time.monotonic() - t0, 0.5, "other connections are not held up")
        self.sim.admin("DELETE", "faults")
        # SIGTERM is not held up by a hanging request either
        self.set_faults({"hang_ms": 60000})
        conn = self.sim.connect(timeout=30)
        conn.request("GET", "/api/v1/views/", headers={"Authorization": "Bearer " + self.api.token})
        time.sleep(0.2)
        t0 = time.monotonic()
        self.assertEqual(self.sim.stop(), 0)
        self.assertLess(time.monotonic() - t0, 3.0)
        conn.close()

    def test_bad_fault_rules(self):
        for bad in ({"rules": [{"latency_ms": -1}]}, {"rules": "x"}, {"rules": [{"error_rate": 2}]}):
            status, body, _ = self.sim.request("POST", "/_sim/faults", bad)
            self.assertEqual(status, 400, bad)


class StatsTests(SimTestCase):
    def test_request_counts(self):
        self.sim.admin("POST", "stats/reset")
        for _ in range(3):
            self.api.get("views/")
        tenant = self.api.post("tenants/", {"name": "s"})
        self.api.get("tenants/%d/" % tenant["id"])
        self.api.get("tenants/1/")
        self.sim.request("GET", "/api/tenants/", basic=("admin", "123456"))
        self.sim.login()
        stats = self.sim.admin("GET", "stats")
        self.assertEqual(stats["requests"], {"GET views/": 3, "POST tenants/": 1, "GET tenants/{id}/": 2,
                                             "GET tenants/": 1, "POST token/": 1})
        self.assertEqual(stats["requests_total"], 8)
        self.assertEqual(stats["tokens_issued"], 1)
        self.sim.admin("POST", "stats/reset")
        self.assertEqual(self.sim.admin("GET", "stats")["requests"], {})

    def test_connections_accepted_counts_keep_alive_once(self):
        self.sim.admin("POST", "stats/reset")  # its own connection closes before the reset takes effect
        conn = self.sim.connect()
        for _ in range(5):
            status, _, _ = self.sim.request("GET", "/api/v1/views/", token=self.api.token, conn=conn)
            self.assertEqual(status, 200)
        stats = self.sim.request("GET", "/_sim/stats", conn=conn)[1]
        conn.close()
        self.assertEqual(stats["connections_accepted"], 1)
        self.assertEqual(stats["requests"]["GET views/"], 5)
        for _ in range(2):
            self.api.get("views/")  # a new connection each
        self.assertEqual(self.sim.admin("GET", "stats")["connections_accepted"], 4)


if __name__ == "__main__":
    unittest.main()
