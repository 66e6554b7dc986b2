"""vms-sim under valgrind (memcheck): a short session touching every subsystem — HTTP and
HTTPS, tokens, objects, snapshots, a clone stopped mid-copy by SIGTERM, faults, admin —
then SIGTERM. Fails on any memory error or definite leak.
Environment: VMS_SIM, VALGRIND (path of valgrind)."""

import os
import re
import ssl
import http.client
import time
import unittest

from simlib import Api, Sim

VALGRIND = os.environ.get("VALGRIND", "valgrind")


class ValgrindTest(unittest.TestCase):
    def test_clean_session(self):
        sim = Sim("--seed", "--clone-rate", "100000", "--log-level", "debug", https=True)
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
