"""vms-sim list filters whose keys do not fit the simulator's 256-byte buffer (255 bytes
and the NUL): such a key matches nothing, instead of being cut into a shorter key that
names another field."""

import unittest

from simlib import SimTestCase


class FilterKeyTests(SimTestCase):
    def setUp(self):
        super().setUp()
        self.tenant = self.api.post("tenants/", {"name": "t"})
        long_field = "f" * 200
        self.policy = self.api.post("viewpolicies/", {"name": "p", "tenant_id": self.tenant["id"],
                                                      long_field: "x"})
        self.long_field = long_field

    def names(self, query):
        return [p["name"] for p in self.api.get("viewpolicies/?" + query)]

    def test_keys_that_fit_still_filter(self):
        self.assertEqual(self.names("%s=x" % self.long_field), ["p"])
        self.assertEqual(self.names("%s__startswith=x" % self.long_field), ["p"])
        # a__b reads a_b when a is absent: tenant__name reads tenant_name
        self.assertEqual(self.names("tenant__name=t"), ["p"])

    def test_too_long_key_matches_nothing(self):
        # A field whose name fills the buffer exactly, and a key that goes on past it
        # into a sub-field the value does not have: cut at 255 bytes, the key would be
        # the field itself and match "x".
        field = "g" * 255
        self.api.ok("PATCH", "viewpolicies/%d/" % self.policy["id"], {field: "x"})
        self.assertEqual(self.names("%s__nosuchpart=x" % field), [])
        self.assertEqual(self.names("%s=x" % field), ["p"], "255 bytes and the NUL fit")
        self.assertEqual(self.names("%s=x" % field[:254]), [], "no such field")


if __name__ == "__main__":
    unittest.main()
