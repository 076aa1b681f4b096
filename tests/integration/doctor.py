#!/usr/bin/python3
"""`telebridge doctor` against a real coturn (configured from `telebridge turn-config`):
with the right secret every [turn] URL (UDP, TCP, TLS) answers a real Allocate and the
check passes; with another secret each one is refused with 401 and the check fails; a
listen address that is not the host's, a relay address that is not the host's and an
expired certificate each fail with their own line. Runs on loopback in the test's
namespace.

Usage: tests/integration/doctor.py
"""
import os
import subprocess
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tbtest import REPO, SLOW, Daemon, log, pick_port  # noqa: E402
from turn import SECRET, Coturn  # noqa: E402


def make_cert(d, name, days):
    """A self-signed certificate for 127.0.0.1 valid for days (negative: expired)."""
    crt, key = os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")
    if days >= 0:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", crt, "-days", str(days), "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        return crt, key
    # An expired one: `openssl req` cannot backdate, `openssl ca -selfsign` can.
    csr = os.path.join(d, name + ".csr")
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", csr, "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("01\n")
    cnf = os.path.join(d, "ca.cnf")
    with open(cnf, "w") as f:
        f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\nnew_certs_dir=%s\n"
                "serial=%s/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n"
                % (d, d, d))
    subprocess.run(["openssl", "ca", "-batch", "-config", cnf, "-selfsign", "-keyfile", key,
                    "-in", csr, "-out", crt, "-startdate", "20200101000000Z", "-enddate",
                    "20200102000000Z"], check=True, capture_output=True)
    return crt, key


def doctor(args):
    cmd = [Daemon("doctor").bin, "doctor", "--config",
           os.path.join(REPO, "configs", "telebridge.ini")] + args
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=60 * SLOW)
    log("doctor %s → exit %d\n%s%s" % (" ".join(a for a in args if SECRET not in a), r.returncode,
                                       r.stdout, r.stderr))
    return r


def main():
    tmp = tempfile.mkdtemp(prefix="tb-doctor-")
    crt, key = make_cert(tmp, "good", 30)
    old_crt, old_key = make_cert(tmp, "old", -1)
    port, tls_port = pick_port(10), pick_port(20)
    urls = ("turn:127.0.0.1:%d?transport=udp,turn:127.0.0.1:%d?transport=tcp,"
            "turns:127.0.0.1:%d?transport=tcp" % (port, port, tls_port))
    base = ["-o", "turn.urls=" + urls, "-o", "server.port=%d" % pick_port(120),
            "-o", "server.tls_cert=" + crt, "-o", "server.tls_key=" + key,
            "-o", "server.public_url=https://127.0.0.1"]
    conf = subprocess.run([Daemon("turn-config").bin, "turn-config", "--config",
                           os.path.join(REPO, "configs", "telebridge.ini"), "-o",
                           "turn.secret=" + SECRET] + base, capture_output=True, text=True,
                          timeout=20 * SLOW)
    assert conf.returncode == 0 and "tls-listening-port=%d" % tls_port in conf.stdout, conf
    coturn = Coturn(conf.stdout, port)
    failed = []

    def case(name, fn):
        try:
            fn()
            log("ok   %s" % name)
        except Exception:  # noqa: BLE001 - report every case
            failed.append(name)
            log("FAIL %s\n%s" % (name, traceback.format_exc().replace(SECRET, "<secret>")))

    def right_secret():
        r = doctor(base + ["-o", "turn.secret=" + SECRET])
        assert r.returncode == 0, r.returncode
        assert r.stdout.count("Allocate accepted") == 3, r.stdout
        for u in urls.split(","):
            assert "ok    TURN %s: Allocate accepted" % u in r.stdout, u
        assert "ok    relay 127.0.0.1: UDP and TCP bind" in r.stdout
        assert "valid for 29 more days" in r.stdout or "valid for 30 more days" in r.stdout
        assert SECRET not in r.stdout + r.stderr

    def wrong_secret():
        r = doctor(base + ["-o", "turn.secret=another-secret-0123456789"])
        assert r.returncode == 1, r.returncode
        assert r.stdout.count("Allocate refused (error 401") == 3, r.stdout

    def bad_addresses():
        r = doctor(["-o", "server.listen=192.0.2.7", "-o", "relay.ice_addresses=192.0.2.8",
                    "-o", "server.port=%d" % pick_port(130)])
        assert r.returncode == 1
        assert "FAIL  signaling 192.0.2.7" in r.stdout, r.stdout
        assert "FAIL  relay 192.0.2.8: UDP cannot be bound" in r.stdout, r.stdout
        assert "no [turn] urls" in r.stdout

    def expired_certificate():
        r = doctor(["-o", "server.tls_cert=" + old_crt, "-o", "server.tls_key=" + old_key,
                    "-o", "server.port=%d" % pick_port(140)])
        assert r.returncode == 1
        assert "FAIL  TLS certificate expired" in r.stdout, r.stdout

    try:
        coturn.start()
        case("right_secret", right_secret)
        case("wrong_secret", wrong_secret)
        case("bad_addresses", bad_addresses)
        case("expired_certificate", expired_certificate)
    finally:
        coturn.stop()
        coturn.cleanup()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    log("doctor: %d failed%s" % (len(failed), (": " + ", ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
