"""vms-sim's append journal (DIR/state.json.journal): a change is a line, not a rewrite of
state.json; kill -9 loses nothing acknowledged; a torn last line is dropped, a damaged
one before it stops the start with a clear message; compaction folds the journal into
state.json and a restart after it sees the same state; stale lines of an older
generation are not replayed."""

import json
import os
import unittest

from simlib import Api, Sim

STATE = "state.json"
JOURNAL = "state.json.journal"


def without_urls(inventory):
    """The inventory minus url fields: the port, and so every url, changes on restart."""
    return {name: [{k: v for k, v in obj.items() if k != "url"} for obj in objs]
            for name, objs in inventory.items()}


class JournalTests(unittest.TestCase):
    def setUp(self):
        self.sim = Sim("--seed")
        self.addCleanup(self.sim.cleanup)
        self.sim.start()
        self.api = Api(self.sim)
        self.policy = self.api.get("viewpolicies/?name=vast-k8s-nfs")[0]["id"]
        self.tenant = self.api.get("tenants/?name=vast-k8s")[0]["id"]

    def path(self, name):
        return os.path.join(self.sim.data_dir, name)

    def size(self, name):
        return os.path.getsize(self.path(name))

    def inventory(self):
        return without_urls(self.sim.admin("GET", "inventory"))

    def populate(self, n=20, tag="o"):
        for i in range(n):
            self.api.post("views/", {"path": "/k8s/%s%d" % (tag, i), "policy_id": self.policy, "create_dir": True,
                                     "tenant_id": self.tenant})
            self.api.post("quotas/", {"name": "%s%d" % (tag, i), "path": "/k8s/%s%d" % (tag, i),
                                      "hard_limit": i})
        snap = self.api.post("snapshots/", {"name": "%s-snap" % tag, "path": "/k8s/%s0" % tag})
        quota = self.api.get("quotas/?name=%s1" % tag)[0]
        self.api.ok("PATCH", "quotas/%d/" % quota["id"], {"hard_limit": 777, "name": "%s-renamed" % tag})
        self.api.ok("DELETE", "quotas/%d/" % self.api.get("quotas/?name=%s2" % tag)[0]["id"])
        return snap

    def test_a_change_appends_a_line_and_leaves_state_json_alone(self):
        before = (self.size(STATE), os.stat(self.path(STATE)).st_mtime_ns)
        lines = self.size(JOURNAL)
        self.api.post("quotas/", {"name": "one", "path": "/k8s"})
        self.sim.login()  # a session too: one small line, not the sessions table
        self.assertEqual((self.size(STATE), os.stat(self.path(STATE)).st_mtime_ns), before)
        with open(self.path(JOURNAL)) as f:
            records = [json.loads(line) for line in f.read().splitlines()]
        self.assertGreater(self.size(JOURNAL), lines)
        puts = [op for r in records for op in r["ops"] if op.get("put") == "quotas"]
        self.assertEqual([op["o"]["name"] for op in puts], ["one"])
        self.assertTrue(any(op.get("sec") == "sessions" and "k2" in op for r in records for op in r["ops"]))

    def test_kill9_keeps_everything_acknowledged(self):
        self.populate()
        expected = self.inventory()
        self.sim.kill9()
        self.assertGreater(self.size(JOURNAL), 0, "the changes were in the journal, not state.json")
        self.sim.start()
        self.assertEqual(self.inventory(), expected)
        self.assertEqual(self.size(JOURNAL), 0, "start-up folds the journal into state.json")
        # the old token still works (sessions come back from the journal too)
        self.assertEqual(self.api.get("quotas/?name=o-renamed")[0]["hard_limit"], 777)
        again = self.api.post("quotas/", {"name": "after", "path": "/k8s"})
        self.assertGreater(again["id"], max(q["id"] for q in expected["quotas"]), "ids are not reused")

    def test_torn_last_line_is_dropped(self):
        self.populate(5)
        expected = self.inventory()
        self.sim.kill9()
        with open(self.path(JOURNAL), "a") as f:  # a write that kill -9 cut short
            f.write('{"gen": 1, "ops": [{"put": "quotas", "o": {"id": 9999, "name": "torn"')
        self.sim.start()
        self.assertEqual(self.inventory(), expected)
        self.assertEqual(self.api.get("quotas/?name=torn"), [])
        self.assertIn("torn last journal line", self.sim.read_log())

    def test_damaged_line_before_the_end_stops_the_start(self):
        self.populate(3)
        self.sim.kill9()
        with open(self.path(JOURNAL)) as f:
            lines = f.read().splitlines(keepends=True)
        self.assertGreater(len(lines), 2)
        lines[1] = "this is not json\n"
        with open(self.path(JOURNAL), "w") as f:
            f.writelines(lines)
        with self.assertRaises(RuntimeError) as caught:
            self.sim.start()
        self.assertIn("state.json.journal: line 2:", str(caught.exception))
        self.assertIn("damaged", str(caught.exception))

    def test_compaction_folds_the_journal_and_restart_sees_the_same(self):
        with open(self.path(STATE)) as f:
            generation = json.load(f)["generation"]
        big = "x" * 20000  # objects keep unknown fields: a quick way past 1 MiB
        i = 0
        while True:
            self.api.post("quotas/", {"name": "big%d" % i, "path": "/k8s/big%d" % i, "create_dir": True,
                                      "note": big})
            i += 1
            with open(self.path(STATE)) as f:
                if json.load(f)["generation"] > generation:
                    break
            self.assertLess(i, 200, "no compaction after %d big objects" % i)
        self.assertLess(self.size(JOURNAL), 1 << 20)
        self.assertGreater(self.size(STATE), 1 << 20)
        self.populate(3)  # more lines after the compaction
        expected = self.inventory()
        self.sim.kill9()
        self.sim.start()
        self.assertEqual(self.inventory(), expected)
        self.assertEqual(self.sim.restart(), 0)
        self.assertEqual(self.size(JOURNAL), 0, "a clean stop leaves a whole state.json")
        with open(self.path(STATE)) as f:
            state = json.load(f)
        self.assertEqual(len(state["collections"]["quotas"]), len(expected["quotas"]))
        self.assertEqual(self.inventory(), expected)

    def test_lines_of_an_older_generation_are_not_replayed(self):
        # A crash after a compaction wrote state.json but before it emptied the journal
        # leaves lines of the old generation. Replayed on the new state.json they would
        # undo what the compaction wrote without a line of its own: here a reset.
        self.api.post("quotas/", {"name": "before-reset", "path": "/k8s"})
        self.sim.kill9()
        with open(self.path(JOURNAL)) as f:
            stale = f.read()
        self.assertIn("before-reset", stale)
        self.sim.start()
        self.sim.admin("POST", "reset")  # state.json rewritten, journal emptied
        self.sim.kill9()
        with open(self.path(JOURNAL), "w") as f:
            f.write(stale)
        self.sim.start()
        api = Api(self.sim)
        self.assertEqual(api.get("quotas/"), [])


if __name__ == "__main__":
    unittest.main()
