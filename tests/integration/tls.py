#!/usr/bin/python3
"""TLS: `telebridge serve --self-signed` makes a development certificate (ECDSA P-256,
subjectAltName for localhost and 127.0.0.1, key mode 0600) and serves https and wss only;
a restart reuses it; the same files configured as tls_cert/tls_key work too; a bad
certificate path stops start-up with the key named.

Usage: tests/integration/tls.py
"""
import os
import socket
import ssl
import stat
import subprocess
import sys
import time
import traceback
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tbtest import ANONYMOUS, SLOW, Conn, Daemon, log  # noqa: E402


class TlsDaemon(Daemon):
    @property
    def ws_url(self):
        return "wss://127.0.0.1:%d/ws" % self.port


def cert_of(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            return t.getpeercert(binary_form=True), t.selected_alpn_protocol(), t.version()


def check_serving(d):
    der, alpn, version = cert_of(d.port)
    assert der, "no certificate"
    log("TLS %s, ALPN %s" % (version, alpn))
    assert alpn in (None, "http/1.1"), "ALPN should be http/1.1 (WebSockets as RFC 6455): %s" % alpn
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen("https://127.0.0.1:%d/" % d.port, context=ctx, timeout=5 * SLOW) as r:
        body = r.read().decode()
        assert r.status == 200 and "<html" in body, (r.status, body[:200])
    # Debian's websocket-client sends Origin http://… even over wss: give the page's own.
    c = Conn(d.ws_url, sslopt={"cert_reqs": ssl.CERT_NONE, "check_hostname": False},
             origin="https://127.0.0.1:%d" % d.port)
    r = c.request("join", room="welcome", name="Через TLS")
    assert r["type"] == "reply", r
    assert c.ping_ok()
    c.close()
    # No plaintext on the TLS port.
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5 * SLOW)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(3 * SLOW)
    try:
        data = s.recv(100)
    except (socket.timeout, ConnectionResetError):
        data = b""
    s.close()
    assert not data.startswith(b"HTTP/1.1 200"), "plain HTTP answered on the TLS port"
    return der


def main():
    failed = []
    d = TlsDaemon("tls", extra_args=["--self-signed"] + ANONYMOUS)
    link = d.start()
    try:
        assert link.startswith("https://127.0.0.1:%d/" % d.port), link
        der = check_serving(d)
        crt = os.path.join(d.var_dir, "tls", "selfsigned.crt")
        key = os.path.join(d.var_dir, "tls", "selfsigned.key")
        mode = stat.S_IMODE(os.stat(key).st_mode)
        assert mode == 0o600, "key mode %o" % mode
        text = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-text"],
                              capture_output=True, text=True).stdout
        assert "IP Address:127.0.0.1" in text and "DNS:localhost" in text, text
        assert "prime256v1" in text or "P-256" in text, "ECDSA P-256 key"
        log("ok   self-signed certificate served over https and wss")
        # A restart reuses the certificate.
        d.stop()
        d.start()
        assert cert_of(d.port)[0] == der, "a restart made a new certificate"
        log("ok   restart reuses the certificate")
        d.stop()
        # The same files as a configured certificate.
        d.extra_args = ["-o", "server.tls_cert=" + crt, "-o", "server.tls_key=" + key] + ANONYMOUS
        d.start()
        assert cert_of(d.port)[0] == der
        check_serving(d)
        log("ok   configured tls_cert/tls_key")
        d.stop()
        # A missing certificate stops start-up with a message.
        out = subprocess.run([d.bin, "serve", "--config", os.path.join(os.path.dirname(__file__), "..", "..",
                                                                          "configs", "telebridge.ini"),
                              "-o", "server.var_dir=" + d.var_dir, "-o", "server.port=%d" % d.port,
                              "-o", "server.tls_cert=/nonexistent.pem", "-o", "server.tls_key=/nonexistent.key"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode != 0 and "tls" in (out.stdout + out.stderr).lower(), out
        log("ok   a missing certificate stops start-up")
    except Exception:  # noqa: BLE001
        failed.append("tls")
        log("FAIL\n" + traceback.format_exc() + "\n" + d.tail())
    finally:
        d.stop()
        report = d.sanitizer_report()
        if report:
            failed.append("(sanitizer report)")
            log("sanitizer report:\n" + report)
        d.cleanup()
    log("tls: %s" % ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
