"""A loopback TCP proxy for the informer tests: it forwards bytes (TLS passes through
untouched) between clients and one target, and misbehaves on command, as a network
does. Commands arrive on a unix socket, one a connection, and are answered "ok N" (N:
the connections open) once they have taken effect:

  cut     close every open connection (both sides) at once
  freeze  stop forwarding on the connections open now (they stay open, silent);
          connections made later flow
  thaw    forward again on frozen connections
  refuse  close new connections as soon as they are accepted (a partition)
  accept  take new connections again

usage: tcp_proxy.py TARGET_HOST:PORT CONTROL_SOCKET PORT_FILE
It listens on 127.0.0.1 on a free port, which it writes to PORT_FILE when ready."""
import os
import select
import socket
import sys
import threading

target_host, target_port = sys.argv[1].rsplit(":", 1)
control_path, port_file = sys.argv[2], sys.argv[3]

lock = threading.Lock()
conns = []  # the open Conn objects
refusing = False


class Conn:
    def __init__(self, client, upstream):
        self.client, self.upstream = client, upstream
        self.frozen = False
        self.closed = False

    def close(self):
        if self.closed:
            return
        self.closed = True
        for s in (self.client, self.upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def pump(c):
    pair = {c.client: c.upstream, c.upstream: c.client}
    try:
        while not c.closed:
            if c.frozen:
                threading.Event().wait(0.05)
                continue
            ready, _, _ = select.select(list(pair), [], [], 0.05)
            for s in ready:
                if c.frozen or c.closed:
                    break
                data = s.recv(65536)
                if not data:
                    raise EOFError
                pair[s].sendall(data)
    except (OSError, EOFError, ValueError):
        pass
    with lock:
        c.close()
        if c in conns:
            conns.remove(c)


def serve(listener):
    while True:
        client, _ = listener.accept()
        with lock:
            if refusing:
                client.close()
                continue
        try:
            upstream = socket.create_connection((target_host, int(target_port)), timeout=10)
            upstream.settimeout(None)
        except OSError:
            client.close()
            continue
        c = Conn(client, upstream)
        with lock:
            conns.append(c)
        threading.Thread(target=pump, args=(c,), daemon=True).start()


def command(word):
    global refusing
    with lock:
        if word == "cut":
            for c in list(conns):
                c.close()
            conns.clear()
        elif word == "freeze":
            for c in conns:
                c.frozen = True
        elif word == "thaw":
            for c in conns:
                c.frozen = False
        elif word == "refuse":
            refusing = True
        elif word == "accept":
            refusing = False
        else:
            return "unknown command %r" % word
        return "ok %d" % len(conns)


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()
    if os.path.exists(control_path):
        os.unlink(control_path)
    ctl = socket.socket(socket.AF_UNIX)
    ctl.bind(control_path)
    ctl.listen(8)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    while True:
        s, _ = ctl.accept()
        with s:
            word = s.recv(64).decode().strip()
            s.sendall((command(word) + "\n").encode())


main()
