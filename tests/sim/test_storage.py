"""vms-sim storage: views and quotas over real directories, snapshots as point-in-time
copies, clone streams that copy in the background, folders/delete_folder/."""

import os
import time
import unittest

from simlib import Api, SimTestCase

NOT_FOUND = {"detail": "Not found."}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class StorageTests(SimTestCase):
    SIM_ARGS = ("--seed",)

    def setUp(self):
        super().setUp()
        self.policy = self.api.get("viewpolicies/?name=vast-k8s-nfs")[0]

    def make_view(self, path, **extra):
        body = {"path": path, "policy_id": self.policy["id"], "create_dir": True,
                "tenant_id": self.policy["tenant_id"], "protocols": ["NFS"]}
        body.update(extra)
        return self.api.post("views/", body)

    def test_view_create_dir_makes_directory(self):
        view = self.make_view("/k8s/pvc-a/deeper")
        self.assertTrue(os.path.isdir(self.sim.fs("/k8s/pvc-a/deeper")))
        self.assertEqual((view["policy"], view["tenant_name"], view["logical_capacity"]),
                         ("vast-k8s-nfs", "vast-k8s", 0))
        write(self.sim.fs("/k8s/pvc-a/deeper/f"), b"x" * 1234)
        self.assertEqual(self.api.get("views/%d/" % view["id"])["logical_capacity"], 1234)
        self.api.ok("DELETE", "views/%d/" % view["id"])
        self.assertTrue(os.path.isdir(self.sim.fs("/k8s/pvc-a/deeper")), "DELETE keeps the directory")
        # without create_dir an existing directory is required
        view = self.api.post("views/", {"path": "/k8s/pvc-a/deeper", "policy_id": self.policy["id"],
                                        "tenant_id": self.policy["tenant_id"]})
        self.assertEqual(view["path"], "/k8s/pvc-a/deeper")
        status, body = self.api.call("POST", "views/", {"path": "/../etc", "policy_id": self.policy["id"],
                                                        "tenant_id": self.policy["tenant_id"], "create_dir": True})
        self.assertEqual(status, 400)
        self.assertEqual(list(body), ["path"], body)
        qos = self.api.get("qospolicies/")[0]
        self.api.post("users/", {"name": "u"})  # a bucket's owner must exist
        s3 = self.make_view("/k8s/bucket-1", protocols=["S3"], bucket="bucket-1", bucket_owner="u",
                            qos_policy="vast-k8s-qos")
        self.assertEqual((s3["qos_policy_id"], s3["qos_policy"]), (qos["id"], "vast-k8s-qos"))
        status, body = self.api.call("POST", "views/", {"path": "/k8s/bucket-2", "policy_id": self.policy["id"],
                                                        "tenant_id": self.policy["tenant_id"],
                                                        "create_dir": True, "bucket": "bucket-1",
                                                        "bucket_owner": "u", "protocols": ["S3"]})
        self.assertEqual((status, body), (400, {"bucket": ["This field must be unique."]}))

    def test_quota_reports_used_capacity(self):
        quota = self.api.post("quotas/", {"name": "pvc-q", "path": "/k8s/pvc-q", "create_dir": True,
                                          "hard_limit": 10000, "tenant_id": self.policy["tenant_id"]})
        self.assertEqual((quota["used_capacity"], quota["used_inodes"], quota["hard_limit"]), (0, 0, 10000))
        write(self.sim.fs("/k8s/pvc-q/dir/data.bin"), b"y" * 4096)
        quota = self.api.get("quotas/%d/" % quota["id"])
        self.assertEqual((quota["used_capacity"], quota["used_inodes"]), (4096, 2))
        listed = self.api.get("quotas/?path__endswith=/pvc-q")
        self.assertEqual(listed[0]["used_capacity"], 4096)
        expanded = self.api.ok("PATCH", "quotas/%d/" % quota["id"], {"hard_limit": 20000})
        self.assertEqual(expanded["hard_limit"], 20000)
        self.api.ok("DELETE", "quotas/%d/" % quota["id"])
        self.assertTrue(os.path.exists(self.sim.fs("/k8s/pvc-q/dir/data.bin")), "DELETE removes the limit only")

    def test_snapshot_is_point_in_time_copy(self):
        self.make_view("/k8s/snapvol")
        write(self.sim.fs("/k8s/snapvol/file.txt"), b"version-1")
        first = self.api.post("snapshots/", {"name": "snap-1", "path": "/k8s/snapvol/"})
        write(self.sim.fs("/k8s/snapvol/file.txt"), b"version-2, longer")
        copy = self.sim.fs("/k8s/snapvol/.snapshot/snap-1/file.txt")
        self.assertEqual(read(copy), b"version-1")
        second = self.api.post("snapshots/", {"name": "snap-2", "path": "/k8s/snapvol"})
        self.assertEqual(read(self.sim.fs("/k8s/snapvol/.snapshot/snap-2/file.txt")), b"version-2, longer")
        self.assertFalse(os.path.exists(self.sim.fs("/k8s/snapvol/.snapshot/snap-2/.snapshot")),
                         "snapshots never contain earlier snapshots")
        # a snapshot of the parent skips the child's .snapshot too
        self.api.post("snapshots/", {"name": "snap-root", "path": "/k8s"})
        self.assertFalse(os.path.exists(self.sim.fs("/k8s/.snapshot/snap-root/snapvol/.snapshot")))
        self.assertEqual(read(self.sim.fs("/k8s/.snapshot/snap-root/snapvol/file.txt")), b"version-2, longer")
        status, body = self.api.call("POST", "snapshots/", {"name": "snap-1", "path": "/k8s/snapvol"})
        self.assertEqual((status, body), (400, {"name": ["This field must be unique."]}))
        found = self.api.get("snapshots/?path__startswith=/k8s/snapvol&page_size=10")
        self.assertEqual(sorted(s["name"] for s in found["results"]), ["snap-1", "snap-2"])
        self.api.ok("DELETE", "snapshots/%d/" % first["id"])
        self.assertFalse(os.path.exists(self.sim.fs("/k8s/snapvol/.snapshot/snap-1")))
        self.assertEqual(self.api.get("snapshots/%d/" % second["id"])["name"], "snap-2")

    def test_snapshot_expires(self):
        self.make_view("/k8s/exp")
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
        snap = self.api.post("snapshots/", {"name": "short", "path": "/k8s/exp", "expiration_time": soon})
        self.assertTrue(os.path.isdir(self.sim.fs("/k8s/exp/.snapshot/short")))
        time.sleep(2.1)
        self.assertEqual(self.api.call("GET", "snapshots/%d/" % snap["id"]), (404, NOT_FOUND))
        self.assertFalse(os.path.exists(self.sim.fs("/k8s/exp/.snapshot/short")))

    def test_delete_folder(self):
        write(self.sim.fs("/k8s/trash-me/a/b/c.txt"), b"data")
        os.symlink("/etc", self.sim.fs("/k8s/trash-me/link"))
        status, body = self.api.call("DELETE", "folders/delete_folder/", {"path": "/k8s/trash-me", "tenant_id": 1})
        self.assertEqual(status, 204, body)
        self.assertFalse(os.path.exists(self.sim.fs("/k8s/trash-me")))
        self.assertTrue(os.path.isdir("/etc"))
        status, body = self.api.call("DELETE", "folders/delete_folder/", {"path": "/k8s/trash-me"})
        self.assertEqual((status, body), (400, {"detail": "no such directory"}))
        status, body = self.api.call("DELETE", "folders/delete_folder/", {})
        self.assertEqual(status, 400)

    def test_version_gates(self):
        sim = self.new_sim("--sys-version", "4.6.5", "--seed")
        api = Api(sim)
        self.assertEqual(api.get("versions/")[0]["sys_version"], "4.6.5")
        self.assertEqual(api.get("clusters/")[0]["sw_version"], "4.6.5")
        self.assertEqual(api.call("DELETE", "folders/delete_folder/", {"path": "/k8s"}), (404, NOT_FOUND))
        old = self.new_sim("--sys-version", "4.5.0", "--seed")
        api = Api(old)
        os.makedirs(old.fs("/k8s/v"))
        snap = api.post("snapshots/", {"name": "s", "path": "/k8s/v"})
        status, _ = api.call("POST", "snapshots/%d/clone/" % snap["id"], {"name": "c", "loanee_root_path": "/c"})
        self.assertEqual(status, 404)

    def test_clusters_capacity(self):
        sim = self.new_sim("--capacity-bytes", "1000000")
        write(sim.fs("/data/f"), b"z" * 1000)
        cluster = Api(sim).get("clusters/")[0]
        self.assertEqual((cluster["state"], cluster["usable_capacity_bytes"]), ("ONLINE", 1000000))
        self.assertEqual((cluster["physical_space_in_use"], cluster["free_usable_capacity"]), (1000, 999000))


class CloneTests(SimTestCase):
    # 40 KB at 20 KB/s: about two seconds of RUNNING to observe.
    SIM_ARGS = ("--seed", "--clone-rate", "20000")

    def test_clone_stream_runs_then_finishes(self):
        write(self.sim.fs("/k8s/src/big.bin"), os.urandom(40000))
        write(self.sim.fs("/k8s/src/sub/small.txt"), b"hello")
        snap = self.api.post("snapshots/", {"name": "clone-src", "path": "/k8s/src", "tenant_id": 2})
        stream = self.api.post("snapshots/%d/clone/" % snap["id"],
                               {"name": "strm-1", "loanee_root_path": "/k8s/dst", "enabled": True,
                                "loanee_tenant_id": 2})
        self.assertEqual(stream["status"]["state"], "RUNNING")
        self.assertEqual((stream["loanee_snapshot_id"], stream["loanee_root_path"], stream["source_path"]),
                         (snap["id"], "/k8s/dst", "/k8s/src"))
        self.assertTrue(os.path.isdir(self.sim.fs("/k8s/dst")), "the destination exists at once")
        time.sleep(0.5)
        running = self.api.get("globalsnapstreams/?loanee_snapshot__id=%d" % snap["id"])
        self.assertEqual(len(running), 1)
        self.assertEqual(running[0]["status"]["state"], "RUNNING")
        self.assertGreater(running[0]["status"]["progress"], 0)
        self.assertEqual(self.api.call("DELETE", "snapshots/%d/" % snap["id"])[0], 409)
        deadline = time.monotonic() + 20
        while self.api.get("globalsnapstreams/%d/" % stream["id"])["status"]["state"] == "RUNNING":
            self.assertLess(time.monotonic(), deadline, "clone did not finish")
            time.sleep(0.1)
        done = self.api.get("globalsnapstreams/%d/" % stream["id"])
        self.assertEqual(done["status"], {"state": "FINISHED", "progress": 100})
        self.assertEqual(read(self.sim.fs("/k8s/dst/big.bin")), read(self.sim.fs("/k8s/src/big.bin")))
        self.assertEqual(read(self.sim.fs("/k8s/dst/sub/small.txt")), b"hello")
        status, body = self.api.call("POST", "snapshots/%d/clone/" % snap["id"],
                                     {"name": "strm-2", "loanee_root_path": "/k8s/dst"})
        self.assertEqual(status, 400, "an existing destination is refused")
        self.api.ok("DELETE", "globalsnapstreams/%d/" % stream["id"], {"remove_dir": False})
        self.assertTrue(os.path.isdir(self.sim.fs("/k8s/dst")))
        self.api.ok("DELETE", "snapshots/%d/" % snap["id"])

    def test_stop_and_delete_with_remove_dir(self):
        write(self.sim.fs("/k8s/src2/big.bin"), os.urandom(100000))
        snap = self.api.post("snapshots/", {"name": "s2", "path": "/k8s/src2"})
        stream = self.api.post("snapshots/%d/clone/" % snap["id"], {"name": "strm-s", "loanee_root_path": "/k8s/d2"})
        time.sleep(0.3)
        status, body = self.api.call("PATCH", "globalsnapstreams/%d/stop/" % stream["id"])
        self.assertEqual(status, 200)
        self.assertIn("async_task", body)
        stopped = self.api.get("globalsnapstreams/%d/" % stream["id"])["status"]
        self.assertEqual(stopped["state"], "STOPPED")
        size = os.path.getsize(self.sim.fs("/k8s/d2/big.bin"))
        time.sleep(0.4)
        self.assertEqual(os.path.getsize(self.sim.fs("/k8s/d2/big.bin")), size, "copying stopped")
        self.assertLess(size, 100000)
        self.api.ok("DELETE", "globalsnapstreams/%d/" % stream["id"], {"remove_dir": True})
        self.assertFalse(os.path.exists(self.sim.fs("/k8s/d2")))
        # a running stream deleted with remove_dir leaves nothing behind either
        stream = self.api.post("snapshots/%d/clone/" % snap["id"], {"name": "strm-t", "loanee_root_path": "/k8s/d3"})
        time.sleep(0.2)
        self.api.ok("DELETE", "globalsnapstreams/%d/" % stream["id"], {"remove_dir": True})
        time.sleep(0.3)
        self.assertFalse(os.path.exists(self.sim.fs("/k8s/d3")))


if __name__ == "__main__":
    unittest.main()
