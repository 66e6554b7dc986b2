"""vms-sim persistence: state survives SIGTERM and kill -9, --reset empties it, clone
streams resume after a restart, start-up is fast."""

import json
import os
import signal
import threading
import time
import unittest

from simlib import Api, Sim

NOT_FOUND = {"detail": "Not found."}


class PersistenceTests(unittest.TestCase):
    def setUp(self):
        self.sim = Sim("--seed", "--task-delay-ms", "100")
        self.addCleanup(self.sim.cleanup)
        self.sim.start()

    def populate(self, api):
        tenant = api.post("tenants/", {"name": "persisted"})
        policy = api.post("viewpolicies/", {"name": "pp", "tenant_id": tenant["id"]})
        view = api.post("views/", {"path": "/k8s/pv", "policy_id": policy["id"], "create_dir": True,
                                   "tenant_id": tenant["id"]})
        user = api.post("users/", {"name": "u1"})
        api.post("users/%d/access_keys/" % user["id"], {}, expect=200)
        return tenant, policy, view

    def check(self, api, tenant, policy, view):
        self.assertEqual(api.get("tenants/%d/" % tenant["id"])["name"], "persisted")
        got = api.get("views/%d/" % view["id"])
        self.assertEqual((got["path"], got["policy"], got["guid"]), ("/k8s/pv", "pp", view["guid"]))
        self.assertEqual(len(api.get("users/?name=u1")[0]["access_keys"]), 1)
        # ids continue after a restart instead of being reused
        again = api.post("viewpolicies/", {"name": "after-restart"})
        self.assertGreater(again["id"], policy["id"])

    def test_sigterm_restart_keeps_state_and_sessions(self):
        api = Api(self.sim)
        objs = self.populate(api)
        self.assertEqual(self.sim.restart(), 0, "SIGTERM exits 0")
        self.check(api, *objs)  # the old token still works: sessions are persisted
        self.assertEqual(self.sim.stop(signal.SIGINT), 0, "SIGINT exits 0")

    def test_kill9_keeps_acknowledged_changes(self):
        api = Api(self.sim)
        objs = self.populate(api)
        self.sim.kill9()
        self.sim.start()
        self.check(api, *objs)

    def test_kill9_during_concurrent_writes_leaves_loadable_state(self):
        api = Api(self.sim)
        acked = []
        stop = threading.Event()

        def writer(n):
            i = 0
            while not stop.is_set():
                try:
                    status, body = api.call("POST", "qospolicies/", {"name": "w%d-%d" % (n, i)})
                except OSError:
                    return
                if status == 201:
                    acked.append(body["name"])
                i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.7)
        self.sim.kill9()
        stop.set()
        for t in threads:
            t.join()
        with open(os.path.join(self.sim.data_dir, "state.json")) as f:
            json.load(f)  # never torn
        self.sim.start()
        api, names, page = Api(self.sim), set(), 1
        while True:  # every page: writes are fast enough now for more than one
            body = api.get("qospolicies/?page_size=1000&page=%d" % page)
            names |= {q["name"] for q in body["results"]}
            if not body["next"]:
                break
            page += 1
        self.assertTrue(acked)
        self.assertFalse(set(acked) - names, "every acknowledged create survived kill -9")

    def test_reset_flag_and_endpoint(self):
        api = Api(self.sim)
        self.populate(api)
        cert = os.path.join(self.sim.data_dir, "tls")
        self.sim.stop()
        self.sim.start("--reset")
        api = Api(self.sim)
        self.assertEqual([t["name"] for t in api.get("tenants/")], ["default", "vast-k8s"])  # --seed again
        self.assertEqual(api.get("views/"), [])
        self.assertFalse(os.path.exists(self.sim.fs("/k8s/pv")))
        self.assertEqual(os.path.isdir(cert), False)  # no HTTPS listener was ever asked for
        api.post("tenants/", {"name": "again"})
        self.sim.admin("POST", "reset")
        self.assertEqual([t["name"] for t in api.get("tenants/")], ["default"])
        self.assertEqual(api.get("tenants/")[0]["id"], 1)

    def test_pending_task_completes_after_restart(self):
        sim = Sim("--task-delay-ms", "1500")
        self.addCleanup(sim.cleanup)
        sim.start()
        api = Api(sim)
        tenant = api.post("tenants/", {"name": "later"})
        status, body = api.call("DELETE", "tenants/%d/" % tenant["id"])
        self.assertEqual(status, 200)
        sim.kill9()
        sim.start()
        self.assertEqual(api.wait_task(body["async_task"]["id"])["state"], "COMPLETED")
        self.assertEqual(api.call("GET", "tenants/%d/" % tenant["id"]), (404, NOT_FOUND))

    def test_clone_resumes_after_restart(self):
        sim = Sim("--seed", "--clone-rate", "50000")
        self.addCleanup(sim.cleanup)
        sim.start()
        api = Api(sim)
        os.makedirs(sim.fs("/k8s/src"))
        payload = os.urandom(150000)
        with open(sim.fs("/k8s/src/data"), "wb") as f:
            f.write(payload)
        snap = api.post("snapshots/", {"name": "rs", "path": "/k8s/src"})
        stream = api.post("snapshots/%d/clone/" % snap["id"], {"name": "resume", "loanee_root_path": "/k8s/dst"})
        time.sleep(0.5)
        sim.kill9()
        sim.start()
        deadline = time.monotonic() + 30
        while api.get("globalsnapstreams/%d/" % stream["id"])["status"]["state"] == "RUNNING":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        self.assertEqual(api.get("globalsnapstreams/%d/" % stream["id"])["status"]["state"], "FINISHED")
        with open(sim.fs("/k8s/dst/data"), "rb") as f:
            self.assertEqual(f.read(), payload)
        # SIGTERM while a copy runs is prompt and clean
        stream = api.post("snapshots/%d/clone/" % snap["id"], {"name": "resume2", "loanee_root_path": "/k8s/dst2"})
        t0 = time.monotonic()
        self.assertEqual(sim.stop(), 0)
        self.assertLess(time.monotonic() - t0, 2.0)

    def test_startup_under_a_second(self):
        # A sanity bound, not a benchmark: start -> port file written.
        for args in ((), ("--seed",)):
            sim = Sim(*args, https=True)
            self.addCleanup(sim.cleanup)
            sim.start()
            self.assertLess(sim.started_s, 1.0, "first start (certificate generated)")
            sim.restart()
            self.assertLess(sim.started_s, 1.0, "restart")

    def test_bad_flags(self):
        import shutil
        import subprocess
        from simlib import VMS_SIM
        self.addCleanup(shutil.rmtree, self.sim.data_dir + "-x", True)
        for args in ([], ["--data-dir", self.sim.data_dir + "-x", "--http", "10.1.2.3:0"],
                     ["--data-dir", self.sim.data_dir + "-x", "--sys-version", "five"],
                     ["--data-dir", self.sim.data_dir + "-x", "--bogus"]):
            proc = subprocess.run([VMS_SIM] + args, capture_output=True, timeout=10)
            self.assertNotEqual(proc.returncode, 0, args)
        proc = subprocess.run([VMS_SIM, "--help"], capture_output=True, timeout=10)
        self.assertEqual(proc.returncode, 0)


if __name__ == "__main__":
    unittest.main()
