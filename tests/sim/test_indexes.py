"""vms-sim's indexed look-ups give exactly what a scan gives: path=, path__in=,
path__startswith=, name=, id__gt=/id__gte= (alone, combined with other filters, with
paging and ordering=-id) are compared with a brute-force filter over the full listing;
uniqueness still holds after a PATCH renames an object (the index follows it)."""

import unittest
import urllib.parse

from simlib import SimTestCase


def walk(api, collection, query, page_size=7):
    """Every object of a paged list, page by page; checks count on each page."""
    got, page, count = [], 1, None
    while True:
        sep = "&" if query else ""
        body = api.get("%s/?%s%spage_size=%d&page=%d" % (collection, query, sep, page_size, page))
        count = body["count"] if count is None else count
        if body["count"] != count:
            raise AssertionError("count changed between pages")
        got += body["results"]
        if not body["next"]:
            return got, count
        page += 1


def text(value):
    return value if isinstance(value, str) else str(value)


class IndexTests(SimTestCase):
    SIM_ARGS = ("--seed",)

    def setUp(self):
        super().setUp()
        self.tenant = self.api.get("tenants/?name=vast-k8s")[0]["id"]
        policy = self.api.get("viewpolicies/?name=vast-k8s-nfs")[0]["id"]
        self.paths = []
        for group in ("a", "ab", "b"):
            for i in range(12):
                path = "/k8s/%s/%d" % (group, i) if i % 4 else "/k8s/%s%d" % (group, i)
                self.paths.append(path)
                self.api.post("views/", {"path": path, "policy_id": policy, "create_dir": True,
                                         "tenant_id": self.tenant, "name": "v-%s-%d" % (group, i % 5)})
                self.api.post("quotas/", {"name": "q-%s-%d" % (group, i), "path": path, "hard_limit": i})
        self.api.post("views/", {"path": "/k8s/a", "policy_id": policy, "create_dir": True,
                                 "tenant_id": self.tenant})  # named view-<id>, set after the create
        self.api.post("quotas/", {"name": 12345, "path": "/k8s/b"})  # a name that is no string
        for q in self.api.get("quotas/?name__startswith=q-b-")[::3]:  # holes in the ids
            self.api.ok("DELETE", "quotas/%d/" % q["id"])
        self.all = {c: walk(self.api, c, "", page_size=1000)[0] for c in ("views", "quotas")}

    def check(self, collection, query, keep):
        expected = [o["id"] for o in self.all[collection] if keep(o)]
        for page_size in (7, 1000):
            got, count = walk(self.api, collection, query, page_size)
            self.assertEqual([o["id"] for o in got], expected, "%s?%s" % (collection, query))
            self.assertEqual(count, len(expected))
        got, _ = walk(self.api, collection, query + "&ordering=-id" if query else "ordering=-id", 5)
        self.assertEqual([o["id"] for o in got], expected[::-1], "%s?%s&ordering=-id" % (collection, query))
        unpaged = self.api.get("%s/?%s" % (collection, query))
        self.assertEqual([o["id"] for o in unpaged], expected)
        return expected

    def test_exact_and_in(self):
        for collection in ("views", "quotas"):
            for path in self.paths[::5] + ["/k8s/none", "/k8s/a/1/", ""]:
                q = "path=" + urllib.parse.quote(path)
                self.check(collection, q, lambda o, p=path: o.get("path") == p)
            picked = self.paths[1:30:4] + ["/nope", self.paths[1]]
            self.check(collection, "path__in=" + ",".join(picked), lambda o: o.get("path") in picked)
            self.check(collection, "path__in=,,%s," % self.paths[2], lambda o: o.get("path") == self.paths[2])
        self.check("views", "name=v-a-1", lambda o: o.get("name") == "v-a-1")
        self.check("views", "name__exact=v-b-0", lambda o: o.get("name") == "v-b-0")
        self.check("views", "name__in=v-a-1,v-ab-2", lambda o: o.get("name") in ("v-a-1", "v-ab-2"))
        named = [o for o in self.all["views"] if o["path"] == "/k8s/a"][0]["name"]
        self.assertTrue(named.startswith("view-"))
        self.check("views", "name=" + named, lambda o: o.get("name") == named)
        self.check("quotas", "name=12345", lambda o: text(o.get("name")) == "12345")
        self.check("quotas", "name__in=12345,q-a-3", lambda o: text(o.get("name")) in ("12345", "q-a-3"))

    def test_startswith(self):
        for collection in ("views", "quotas"):
            for prefix in ("/k8s/a", "/k8s/a/", "/k8s/ab", "/k8s/b/1", "/", "", "/zzz"):
                self.check(collection, "path__startswith=" + urllib.parse.quote(prefix),
                           lambda o, p=prefix: o.get("path", "").startswith(p))
        self.check("quotas", "name__startswith=123", lambda o: text(o.get("name")).startswith("123"))

    def test_id_ranges_and_combinations(self):
        ids = [o["id"] for o in self.all["quotas"]]
        for bound in (0, ids[3], ids[3] + 0.5, ids[-1], ids[-1] + 10, -5):
            self.check("quotas", "id__gt=%s" % bound, lambda o, b=bound: o["id"] > b)
            self.check("quotas", "id__gte=%s" % bound, lambda o, b=bound: o["id"] >= b)
        self.check("quotas", "id__in=%d,%d,99999" % (ids[0], ids[5]), lambda o: o["id"] in (ids[0], ids[5]))
        self.check("quotas", "id=%d" % ids[7], lambda o: o["id"] == ids[7])
        mid = ids[len(ids) // 2]
        self.check("quotas", "path__startswith=/k8s/a&id__gt=%d" % mid,
                   lambda o: o["path"].startswith("/k8s/a") and o["id"] > mid)
        self.check("quotas", "path__startswith=/k8s/a&hard_limit__gte=5",
                   lambda o: o["path"].startswith("/k8s/a") and o.get("hard_limit", -1) >= 5)
        self.check("views", "path__in=%s,%s&name__contains=ab" % (self.paths[14], self.paths[15]),
                   lambda o: o["path"] in self.paths[14:16] and "ab" in o.get("name", ""))
        # filters on fields that rendering adds: matched as the answer shows them
        self.check("views", "policy=vast-k8s-nfs&path__startswith=/k8s/b", lambda o: o["path"].startswith("/k8s/b"))
        self.check("views", "qos_policy_id=null", lambda o: o.get("qos_policy_id") is None)
        self.check("views", "tenant__name=vast-k8s&name=v-a-2", lambda o: o.get("name") == "v-a-2")
        self.check("quotas", "tenant_name=default&id__gt=%d" % mid, lambda o: o["id"] > mid)

    def test_uniqueness_follows_a_rename(self):
        a = self.api.post("quotas/", {"name": "first", "path": "/k8s/u1", "create_dir": True})
        b = self.api.post("quotas/", {"name": "second", "path": "/k8s/u2", "create_dir": True})
        unique = {"name": ["This field must be unique."]}
        self.api.ok("PATCH", "quotas/%d/" % b["id"], {"name": "third"})
        self.assertEqual(self.api.get("quotas/?name=second"), [])
        self.assertEqual([q["id"] for q in self.api.get("quotas/?name=third")], [b["id"]])
        self.assertEqual(self.api.call("POST", "quotas/", {"name": "third", "path": "/k8s/u3", "create_dir": True}),
                         (400, unique))
        self.assertEqual(self.api.call("PATCH", "quotas/%d/" % a["id"], {"name": "third"}), (400, unique))
        self.api.post("quotas/", {"name": "second", "path": "/k8s/u4", "create_dir": True})  # the old name is free
        self.assertEqual(self.api.call("POST", "quotas/", {"name": "x", "path": "/k8s/u1"}),
                         (400, {"non_field_errors": ["The fields path, tenant_id must make a unique set."]}))
        # view policies can be renamed too; views find them by name afterwards
        policy = self.api.post("viewpolicies/", {"name": "pol-old"})
        self.api.ok("PATCH", "viewpolicies/%d/" % policy["id"], {"name": "pol-new"})
        self.assertEqual(self.api.call("POST", "viewpolicies/", {"name": "pol-new"}), (400, unique))
        self.api.post("viewpolicies/", {"name": "pol-old"})
        # several clashes: the answer names the one with the lowest id, as a scan did
        t = self.api.post("tenants/", {"name": "other"})
        self.api.post("quotas/", {"name": "in-other", "path": "/k8s/u5", "create_dir": True, "tenant_id": t["id"]})
        self.assertEqual(self.api.call("POST", "quotas/", {"name": "in-other", "path": "/k8s/u1"}),
                         (400, {"non_field_errors": ["The fields path, tenant_id must make a unique set."]}))


if __name__ == "__main__":
    unittest.main()
