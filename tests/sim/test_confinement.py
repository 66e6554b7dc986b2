"""vms-sim confines every VMS path to DIR/fs: a symbolic link that someone placed inside a
volume's directory is never followed, whatever the API call. Each case plants a link to
a directory outside the data directory (a canary tree this test made) and proves that
the call answered an error and the canary is byte-for-byte unchanged.

Every case runs twice: with openat2 (the normal path) and with the component walk the
simulator falls back to where openat2 is missing (VMS_SIM_RESOLVE=walk)."""

import os
import shutil
import tempfile
import time
import unittest

from simlib import Api, Sim, SimTestCase


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def tree_state(root):
    """Everything about a tree that a stray write, mkdir, chmod or unlink would change."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                state[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                state[rel] = ("dir", st.st_mode)
            else:
                with open(path, "rb") as f:
                    state[rel] = ("file", st.st_mode, f.read())
    st = os.lstat(root)
    state["."] = ("dir", st.st_mode)
    return state


class ConfinementTests(SimTestCase):
    SIM_ARGS = ("--seed",)
    ENV = None

    def setUp(self):
        self.sim = Sim(*self.SIM_ARGS, env=self.ENV)
        self.addCleanup(self.sim.cleanup)
        self.sim.start()
        self.api = Api(self.sim)
        self.policy = self.api.get("viewpolicies/?name=vast-k8s-nfs")[0]
        # The canary: outside the data directory, with a file, a subdirectory, and the
        # names the calls below would create or remove if they followed a link.
        self.canary = tempfile.mkdtemp(prefix="vms-sim-canary.")
        self.addCleanup(shutil.rmtree, self.canary, ignore_errors=True)
        write(os.path.join(self.canary, "canary.txt"), b"must survive\n")
        write(os.path.join(self.canary, "sub", "deep.txt"), b"deep canary\n")
        write(os.path.join(self.canary, "snap-1", "old.txt"), b"looks like a snapshot\n")
        self.before = tree_state(self.canary)

    def assertCanaryUnchanged(self):
        self.assertEqual(tree_state(self.canary), self.before, "the directory outside DIR/fs was changed")

    def view_body(self, path, **extra):
        """A view with the seeded policy, in the policy's tenant (VMS requires both alike)."""
        body = {"path": path, "policy_id": self.policy["id"], "tenant_id": self.policy["tenant_id"]}
        body.update(extra)
        return body

    def make_volume(self, path):
        self.api.post("views/", self.view_body(path, create_dir=True))
        return self.sim.fs(path)

    def plant_link(self, vms_path, target=None):
        os.symlink(target or self.canary, self.sim.fs(vms_path))

    def assertRefused(self, result, path_text=None, status=400):
        code, body = result
        self.assertEqual(code, status, "unexpected answer %r" % (body,))
        if path_text:
            self.assertIn(path_text, repr(body))
        return body

    def test_quota_create_dir_through_link(self):
        self.make_volume("/k8s/vol")
        self.plant_link("/k8s/vol/escape")
        for path, create in (("/k8s/vol/escape/newdir", True), ("/k8s/vol/escape", True),
                             ("/k8s/vol/escape/sub", False), ("/k8s/vol/escape", False)):
            body = self.assertRefused(self.api.call("POST", "quotas/", {"name": "q", "path": path, "create_dir": create}),
                                      path)
            self.assertIn("symbolic link", body["path"][0])
        self.assertEqual(self.api.get("quotas/"), [], "no quota was stored")
        self.assertCanaryUnchanged()

    def test_view_create_dir_through_link(self):
        self.make_volume("/k8s/vol")
        self.plant_link("/k8s/vol/escape")
        for path in ("/k8s/vol/escape/pvc-1", "/k8s/vol/escape/sub/deeper/still"):
            self.assertRefused(self.api.call("POST", "views/", self.view_body(path, create_dir=True)), path)
        self.assertEqual(len(self.api.get("views/?path__startswith=/k8s/vol/")), 0)
        # a link higher up, in place of the volume directory itself
        self.plant_link("/k8s/linked-vol")
        self.assertRefused(self.api.call("POST", "views/", self.view_body("/k8s/linked-vol/x", create_dir=True)),
                           "/k8s/linked-vol/x")
        self.assertCanaryUnchanged()

    def test_delete_folder_through_link(self):
        self.make_volume("/k8s/vol")
        self.plant_link("/k8s/vol/escape")
        for path in ("/k8s/vol/escape", "/k8s/vol/escape/", "/k8s/vol/escape/sub"):
            self.assertRefused(self.api.call("DELETE", "folders/delete_folder/", {"path": path}), "/k8s/vol/escape")
        self.assertTrue(os.path.islink(self.sim.fs("/k8s/vol/escape")), "a refused delete leaves the link")
        self.assertCanaryUnchanged()

    def test_recursive_delete_removes_links_not_targets(self):
        vol = self.make_volume("/k8s/vol2")
        write(os.path.join(vol, "data", "f.bin"), b"x" * 100)
        os.symlink(self.canary, os.path.join(vol, "data", "to-dir"))
        os.symlink(os.path.join(self.canary, "canary.txt"), os.path.join(vol, "to-file"))
        os.symlink("../../..", os.path.join(vol, "data", "up"))
        self.api.ok("DELETE", "folders/delete_folder/", {"path": "/k8s/vol2"})
        self.assertFalse(os.path.lexists(vol))
        self.assertTrue(os.path.isdir(self.sim.fs("/k8s")), "the parent stays")
        self.assertCanaryUnchanged()

    def test_snapshot_through_link(self):
        self.make_volume("/k8s/vol")
        self.plant_link("/k8s/vol/escape")
        for path in ("/k8s/vol/escape", "/k8s/vol/escape/sub"):
            self.assertRefused(self.api.call("POST", "snapshots/", {"name": "snap-1", "path": path}), "/k8s/vol/escape")
        # .snapshot itself is a link: the copy (and the removal of leftovers) would land
        # in the canary, which holds a "snap-1" of its own
        vol = self.make_volume("/k8s/vol3")
        write(os.path.join(vol, "file"), b"data")
        self.plant_link("/k8s/vol3/.snapshot")
        self.assertRefused(self.api.call("POST", "snapshots/", {"name": "snap-1", "path": "/k8s/vol3"}), "/k8s/vol3/.snapshot")
        self.assertEqual(self.api.get("snapshots/"), [])
        self.assertCanaryUnchanged()

    def test_snapshot_copies_links_as_links(self):
        vol = self.make_volume("/k8s/vol4")
        write(os.path.join(vol, "a.txt"), b"aaa")
        os.symlink(self.canary, os.path.join(vol, "out"))
        snap = self.api.post("snapshots/", {"name": "s4", "path": "/k8s/vol4"})
        copy = os.path.join(vol, ".snapshot", "s4")
        self.assertEqual(os.readlink(os.path.join(copy, "out")), self.canary)
        with open(os.path.join(copy, "a.txt"), "rb") as f:
            self.assertEqual(f.read(), b"aaa")
        # .snapshot swapped for a link after the snapshot was made: deleting the
        # snapshot must not remove the canary's own "s4"... or anything else in it
        write(os.path.join(self.canary, "s4", "keep.txt"), b"keep")
        self.before = tree_state(self.canary)
        shutil.rmtree(os.path.join(vol, ".snapshot"))
        self.plant_link("/k8s/vol4/.snapshot")
        self.api.ok("DELETE", "snapshots/%d/" % snap["id"])
        self.assertTrue(os.path.islink(os.path.join(vol, ".snapshot")))
        self.assertCanaryUnchanged()

    def wait_stream(self, stream_id, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            state = self.api.get("globalsnapstreams/%d/" % stream_id)["status"]["state"]
            if state != "RUNNING" or time.monotonic() > deadline:
                return state
            time.sleep(0.05)

    def test_clone_through_link(self):
        vol = self.make_volume("/k8s/src")
        write(os.path.join(vol, "data"), b"payload")
        os.symlink(self.canary, os.path.join(vol, "out"))
        snap = self.api.post("snapshots/", {"name": "cs", "path": "/k8s/src"})
        self.make_volume("/k8s/vol")
        self.plant_link("/k8s/vol/escape")
        for dst in ("/k8s/vol/escape/dst", "/k8s/vol/escape", "/k8s/vol/escape/sub/x"):
            self.assertRefused(self.api.call("POST", "snapshots/%d/clone/" % snap["id"],
                                             {"name": "c-bad", "loanee_root_path": dst}))
        self.assertEqual(self.api.get("globalsnapstreams/"), [])
        # a good clone copies the link as a link, not the canary's files
        stream = self.api.post("snapshots/%d/clone/" % snap["id"], {"name": "c-ok", "loanee_root_path": "/k8s/dst"})
        self.assertEqual(self.wait_stream(stream["id"]), "FINISHED")
        self.assertEqual(os.readlink(self.sim.fs("/k8s/dst/out")), self.canary)
        # the destination swapped for a link: remove_dir refuses and removes nothing
        shutil.rmtree(self.sim.fs("/k8s/dst"))
        self.plant_link("/k8s/dst")
        self.assertRefused(self.api.call("DELETE", "globalsnapstreams/%d/" % stream["id"], {"remove_dir": True}), "/k8s/dst")
        self.assertEqual(len(self.api.get("globalsnapstreams/")), 1, "the refused delete kept the stream")
        # the snapshot's copy swapped for a link: a clone of it is refused, nothing made
        copy = os.path.join(vol, ".snapshot", "cs")
        shutil.rmtree(copy)
        os.symlink(self.canary, copy)
        self.assertRefused(self.api.call("POST", "snapshots/%d/clone/" % snap["id"],
                                         {"name": "c-src", "loanee_root_path": "/k8s/dst-src"}), "/k8s/src/.snapshot/cs")
        self.assertFalse(os.path.lexists(self.sim.fs("/k8s/dst-src")))
        self.assertCanaryUnchanged()

    def test_dot_dot_and_malformed_paths_refused(self):
        self.make_volume("/k8s/vol")
        bad = ("/k8s/../..", "/k8s/vol/../../x", "/k8s/./vol", "/k8s//vol", "//", "k8s/vol", "", "/k8s/vol//",
               "/k8s/\u0000x")
        for path in bad:
            for call in (("POST", "views/", self.view_body(path, create_dir=True)),
                         ("POST", "quotas/", {"name": "q", "path": path, "create_dir": True}),
                         ("POST", "snapshots/", {"name": "s", "path": path}),
                         ("DELETE", "folders/delete_folder/", {"path": path})):
                self.assertRefused(self.api.call(*call))
        for name in ("", "..", ".", "a/b", "x\u0000y"):
            self.assertRefused(self.api.call("POST", "snapshots/", {"name": name, "path": "/k8s/vol"}))
        snap = self.api.post("snapshots/", {"name": "ok", "path": "/k8s/vol"})
        for dst in ("/k8s/../x", "/k8s/./x", "relative", "/k8s//x"):
            self.assertRefused(self.api.call("POST", "snapshots/%d/clone/" % snap["id"],
                                             {"name": "c", "loanee_root_path": dst}))
        self.assertEqual(sorted(os.listdir(self.sim.fs("/"))), ["k8s"])
        self.assertEqual(sorted(os.listdir(self.sim.fs("/k8s"))), ["vol"])
        # a trailing slash is still fine
        self.api.post("views/", self.view_body("/k8s/vol/"))
        self.assertCanaryUnchanged()


class WalkConfinementTests(ConfinementTests):
    """The same cases through the O_NOFOLLOW component walk (no openat2)."""
    ENV = dict(os.environ, VMS_SIM_RESOLVE="walk")


if __name__ == "__main__":
    unittest.main()
