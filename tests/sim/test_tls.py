"""vms-sim HTTPS: the generated self-signed certificate verifies against DIR/tls/cert.pem,
not against the system CAs, and is reused across restarts."""

import http.client
import json
import os
import shutil
import ssl
import tempfile
import unittest

from simlib import Sim


class TlsTests(unittest.TestCase):
    def setUp(self):
        self.sim = Sim(https=True, http=False)
        self.addCleanup(self.sim.cleanup)
        self.sim.start()
        self.cert = os.path.join(self.sim.data_dir, "tls", "cert.pem")

    def get(self, context, host="127.0.0.1", path="/api/token/", method="POST"):
        conn = http.client.HTTPSConnection(host, self.sim.ports["https"], context=context, timeout=10)
        try:
            body = json.dumps({"username": "admin", "password": "123456"})
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read())
        finally:
            conn.close()

    def test_verifies_with_generated_cert(self):
        self.assertEqual(set(self.sim.ports), {"https"})
        self.assertTrue(os.path.exists(self.cert))
        self.assertEqual(os.stat(os.path.join(self.sim.data_dir, "tls", "key.pem")).st_mode & 0o077, 0)
        for host in ("127.0.0.1", "localhost"):
            status, body = self.get(ssl.create_default_context(cafile=self.cert), host=host)
            self.assertEqual(status, 200)
            self.assertIn("access", body)

    def test_default_ca_rejects_it(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.get(ssl.create_default_context())
        # the simulator keeps serving after a failed handshake
        status, _ = self.get(ssl.create_default_context(cafile=self.cert))
        self.assertEqual(status, 200)

    def test_cert_reused_across_restart_and_given_by_flags(self):
        with open(self.cert) as f:
            before = f.read()
        self.sim.restart()
        with open(self.cert) as f:
            self.assertEqual(f.read(), before)
        status, _ = self.get(ssl.create_default_context(cafile=self.cert))
        self.assertEqual(status, 200)
        # another simulator serving this certificate and key through --tls-cert/--tls-key
        keep = tempfile.mkdtemp(prefix="vms-sim-cert.")
        self.addCleanup(shutil.rmtree, keep, True)
        shutil.copy(self.cert, keep)
        shutil.copy(os.path.join(self.sim.data_dir, "tls", "key.pem"), keep)
        other = Sim("--tls-cert", os.path.join(keep, "cert.pem"), "--tls-key", os.path.join(keep, "key.pem"),
                    https=True, http=True)
        self.addCleanup(other.cleanup)
        other.start()
        self.assertFalse(os.path.exists(os.path.join(other.data_dir, "tls")))
        conn = http.client.HTTPSConnection("127.0.0.1", other.ports["https"],
                                           context=ssl.create_default_context(cafile=self.cert), timeout=10)
        conn.request("GET", "/_sim/stats")
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()
        # next links carry the scheme of the listener that was asked
        from simlib import Api
        api = Api(other)
        api.post("tenants/", {"name": "a"})
        api.post("tenants/", {"name": "b"})
        conn = http.client.HTTPSConnection("127.0.0.1", other.ports["https"],
                                           context=ssl.create_default_context(cafile=self.cert), timeout=10)
        conn.request("GET", "/api/latest/tenants/?page_size=1", headers={"Authorization": "Bearer " + api.token})
        page = json.loads(conn.getresponse().read())
        conn.close()
        self.assertEqual(page["next"], "https://127.0.0.1:%d/api/latest/tenants/?page=2&page_size=1"
                         % other.ports["https"])


if __name__ == "__main__":
    unittest.main()
