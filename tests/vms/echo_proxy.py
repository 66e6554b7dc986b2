"""A TLS proxy whose error pages echo the request it got, for tests/vms/test_secrets_rpc.sh.

Serves HTTPS on 127.0.0.1 (port 0; the port goes to PORT_FILE) with the simulator's own
certificate, so a driver that trusts the simulator trusts it. Mode "echo": every request,
the login included, is answered 502 with an HTML page quoting the request line, headers
(Authorization too) and body. Mode "relay": POST .../token/ is passed to the simulator's
plain-HTTP URL and its answer returned (the tokens are written to TOKENS_FILE); every
other request gets the echo page, which then also quotes those tokens, bare.

usage: echo_proxy.py MODE CERT KEY SIM_HTTP_URL PORT_FILE TOKENS_FILE
"""
import html
import http.server
import json
import ssl
import sys
import urllib.request

MODE, CERT, KEY, UPSTREAM, PORT_FILE, TOKENS_FILE = sys.argv[1:7]
cached = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, ctype, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        if MODE == "relay" and self.path.endswith("/token/"):
            req = urllib.request.Request(UPSTREAM + self.path, data=body.encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read().decode()
            tokens = json.loads(text)
            cached[:] = [tokens.get("access", ""), tokens.get("refresh", "")]
            with open(TOKENS_FILE, "w") as f:
                f.write("\n".join(cached) + "\n")
            self.answer(200, "application/json", text)
            return
        raw = "%s\r\n%s\r\n%s" % (self.requestline, str(self.headers), body)
        if cached:
            raw += "\r\nupstream cache: %s %s\r\n" % tuple(cached)
        page = ("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
                "<pre>%s</pre></body></html>" % html.escape(raw))
        self.answer(502, "text/html", page)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
