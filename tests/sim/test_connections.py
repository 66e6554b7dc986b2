"""vms-sim under idle and excess clients: idle connections cost no thread, a connection
idle for --idle-timeout is closed, and connections beyond --max-connections are refused
with 503 at once while everyone else is served. Bounds are generous (ASan on two busy
cores): what is asserted is that service comes back, never how fast."""

import http.client
import json
import socket
import time
import unittest

from simlib import Sim

CEILING_S = 60.0


class ConnectionTests(unittest.TestCase):
    def start(self, *args):
        sim = Sim(*args)
        self.addCleanup(sim.cleanup)
        return sim.start()

    def open_idle(self, sim, n):
        """n connections that never send a byte; closed by the test's cleanup."""
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        for _ in range(n):
            socks.append(socket.create_connection(("127.0.0.1", sim.ports["http"]), timeout=CEILING_S))
        time.sleep(0.5)  # let the simulator accept them before the next client comes
        return socks

    def versions(self, sim, timeout=CEILING_S):
        """GET versions/ on a new connection: (status, body, will_close)."""
        conn = http.client.HTTPConnection("127.0.0.1", sim.ports["http"], timeout=timeout)
        try:
            conn.request("GET", "/api/v1/versions/", headers={"Authorization": "Basic YWRtaW46MTIzNDU2"})
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"null"), resp.will_close
        finally:
            conn.close()

    def until_served(self, sim):
        """Retries on refusal (503, reset, closed) until a 200; fails past the ceiling."""
        deadline = time.monotonic() + CEILING_S
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.versions(sim, timeout=max(1.0, deadline - time.monotonic()))
                if last[0] == 200:
                    return last
            except (OSError, http.client.HTTPException) as e:
                last = e
            time.sleep(0.2)
        self.fail("no answer within %.0f s; last: %r" % (CEILING_S, last))

    def assertClosedByServer(self, sock):
        sock.settimeout(CEILING_S)
        try:
            self.assertEqual(sock.recv(1), b"", "the server closed the idle connection")
        except ConnectionResetError:
            pass

    def test_300_idle_connections_do_not_block_the_next_client(self):
        # More idle connections than the 256 threads the simulator used to dedicate to
        # connections; the idle timeout is far away, so only the thread model is tested.
        sim = self.start("--idle-timeout", "600")
        idle = self.open_idle(sim, 300)
        status, body, _ = self.versions(sim)
        self.assertEqual(status, 200, body)
        # and the idle ones are still open (nothing was dropped to make room)
        idle[0].setblocking(False)
        with self.assertRaises(BlockingIOError):
            idle[0].recv(1)

    def test_excess_connections_get_503_and_service_recovers(self):
        sim = self.start("--threads", "2", "--max-connections", "16", "--idle-timeout", "600")
        idle = self.open_idle(sim, 16)
        status, body, will_close = self.versions(sim)
        self.assertEqual(status, 503, body)
        self.assertIn("--max-connections 16", body["detail"])
        self.assertTrue(will_close, "a refused connection is closed after its answer")
        # a slot that frees is usable again
        idle.pop().close()
        self.until_served(sim)

    def test_idle_connections_are_cut_so_a_flood_passes(self):
        # 40 idle connections against a limit of 16: the excess is refused, the rest is
        # cut after the idle timeout, and a client that retries gets in.
        sim = self.start("--threads", "2", "--max-connections", "16", "--idle-timeout", "2")
        idle = self.open_idle(sim, 40)
        self.until_served(sim)
        for sock in idle[:3] + idle[-3:]:
            self.assertClosedByServer(sock)

    def test_slow_client_is_cut_after_the_idle_timeout(self):
        sim = self.start("--idle-timeout", "1")
        sock = socket.create_connection(("127.0.0.1", sim.ports["http"]), timeout=CEILING_S)
        self.addCleanup(sock.close)
        sock.sendall(b"GET /api/v1/versions/ HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        self.assertClosedByServer(sock)
        self.assertEqual(self.versions(sim)[0], 200)

    def test_bad_flags(self):
        for flags in (("--idle-timeout", "0"), ("--max-connections", "0"), ("--threads", "0"), ("--threads", "65")):
            sim = Sim(*flags)
            self.addCleanup(sim.cleanup)
            with self.assertRaises(RuntimeError):
                sim.start()
            self.assertIn("invalid value for --" + flags[0][2:], sim.read_log())
            sim.proc = None
            sim.log.close()


if __name__ == "__main__":
    unittest.main()
