"""The hall over HTTPS (issue 15, item 1): the hall's own certificate authority, a server
certificate for the LAN address renewed before it expires, and `python -m voting hall`
serving tablets with Secure cookies and HSTS, plain HTTP only for installing the authority.

The live test runs the real command in a subprocess with its own data directory and talks to
it as a tablet would: with the authority installed (httpx verifying against ca.crt), without
it (refused), and over plain HTTP (sent on to HTTPS, except the trust page and certificate).
"""

from __future__ import annotations

import ipaddress
import os
import signal
import sqlite3
import ssl
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from tests.servers import free_port
from voting import tls

ROOT = Path(__file__).resolve().parents[2]


def verify_leaf(directory: Path, leaf: x509.Certificate, name: str) -> None:
    """What a tablet's browser does with the server's certificate once the authority is installed."""
    ca = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
    subject = x509.IPAddress(ipaddress.ip_address(name)) if name[0].isdigit() else x509.DNSName(name)
    verifier = PolicyBuilder().store(Store([ca])).time(datetime.now(timezone.utc)).build_server_verifier(subject)
    verifier.verify(leaf, [])


def test_the_authority_vouches_for_the_hall_and_for_nothing_else(tmp_path):
    made = tls.ensure(tmp_path, ["192.168.10.2", "10.1.2.3"], ["hall-laptop"])
    assert made.renewed and made.addresses == ("192.168.10.2", "10.1.2.3")
    for key in ("ca.key", "server.key"):
        assert stat.S_IMODE((tmp_path / key).stat().st_mode) == 0o600
    leaf = x509.load_pem_x509_certificate(made.server_cert.read_bytes())
    for name in ("192.168.10.2", "10.1.2.3", "hall-laptop"):
        verify_leaf(tmp_path, leaf, name)
    with pytest.raises(VerificationError):
        verify_leaf(tmp_path, leaf, "192.168.10.9")  # not an address it was made for

    # Even signed by the authority's own key, a certificate for a public site is refused by the
    # name constraints: a leaked hall key cannot impersonate a bank on the deputies' tablets.
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((tmp_path / "ca.key").read_bytes(), password=None)
    now = datetime.now(timezone.utc)
    rogue = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(ca.subject)
             .public_key(ec.generate_private_key(ec.SECP256R1()).public_key()).serial_number(7)
             .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=30))
             .add_extension(x509.SubjectAlternativeName([x509.DNSName("www.icbc.com.cn")]), critical=True)
             .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
             .sign(ca_key, hashes.SHA256()))
    with pytest.raises(VerificationError):
        verify_leaf(tmp_path, rogue, "www.icbc.com.cn")


def test_the_server_certificate_is_kept_while_good_and_renewed_before_it_expires(tmp_path):
    first = tls.ensure(tmp_path, ["192.168.10.2"], [])
    again = tls.ensure(tmp_path, ["192.168.10.2"], [])
    assert not again.renewed and again.not_after == first.not_after
    soon = first.not_after - timedelta(days=20)  # inside the 30 days before expiry
    renewed = tls.ensure(tmp_path, ["192.168.10.2"], [], now=soon)
    assert renewed.renewed and renewed.not_after > first.not_after + timedelta(days=300)
    assert renewed.ca_fingerprint == first.ca_fingerprint  # the tablets keep the authority they installed
    moved = tls.ensure(tmp_path, ["192.168.10.2", "192.168.20.5"], [])  # a second network card
    assert moved.renewed and moved.ca_fingerprint == first.ca_fingerprint


@pytest.mark.parametrize("address, message", [("8.8.8.8", "不是局域网地址"), ("hall", "不是 IP 地址")])
def test_an_address_that_is_not_the_hall_network_is_refused_in_chinese(tmp_path, address, message):
    with pytest.raises(tls.TlsError, match=message):
        tls.ensure(tmp_path, [address], [])
    assert not (tmp_path / "server.crt").exists()


def wait_for(url: str, verify, seconds: float = 40.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, verify=verify, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError(f"{url} never answered")


def test_the_hall_command_serves_tablets_over_https_and_plain_http_only_for_the_certificate(tmp_path):
    data = tmp_path / "data"
    backups = tmp_path / "usb-stick"
    env = {**os.environ, "PIAOJUE_DATA": str(data), "PIAOJUE_DEMO": "0", "PIAOJUE_BACKUP_DIR": str(backups),
           "PIAOJUE_BACKUP_MINUTES": "0.025", "PIAOJUE_BACKUP_KEEP": "2"}
    env.pop("DATABASE_URL", None)
    env.pop("PIAOJUE_PUBLIC_URL", None)
    subprocess.run([str(ROOT / ".venv/bin/piccolo"), "migrations", "forwards", "all"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    port, http_port = free_port(), free_port()
    log = (tmp_path / "hall.log").open("w+")
    server = subprocess.Popen([sys.executable, "-m", "voting", "hall", "--address", "127.0.0.1", "--name", "hall-test",
                               "--port", str(port), "--http-port", str(http_port), "--host", "127.0.0.1"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{http_port}/trust", verify=True)
        trusted = ssl.create_default_context(cafile=str(data / "tls" / "ca.crt"))
        base = f"https://127.0.0.1:{port}"
        login = httpx.get(f"{base}/tablet/login", verify=trusted, timeout=10)
        assert login.status_code == 200 and "登录" in login.text
        assert login.headers["strict-transport-security"] == "max-age=31536000"
        cookies = login.headers.get_list("set-cookie")
        assert cookies and all("secure" in c.lower() for c in cookies), cookies
        with pytest.raises(httpx.ConnectError):  # a tablet that has not installed the authority
            httpx.get(f"{base}/tablet/login", timeout=10)

        plain = f"http://127.0.0.1:{http_port}"
        sent_on = httpx.get(f"{plain}/tablet/login?x=1", timeout=10)
        assert sent_on.status_code == 308 and sent_on.headers["location"] == f"{base}/tablet/login?x=1"
        assert httpx.post(f"{plain}/tablet/login", data={"code": "1"}, timeout=10).status_code == 308
        page = httpx.get(f"{plain}/trust", timeout=10)
        assert page.status_code == 200 and "安装会场证书" in page.text and "iPad" in page.text
        assert f"{plain}/trust/ca.crt" in page.text and "<svg" in page.text
        ca = httpx.get(f"{plain}/trust/ca.crt", timeout=10)
        assert ca.content == (data / "tls" / "ca.crt").read_bytes() and "BEGIN CERTIFICATE" in ca.text
        assert tls.fingerprint(x509.load_pem_x509_certificate(ca.content)) in page.text
        assert b"PRIVATE" not in ca.content
        over_https = httpx.get(f"{base}/trust", verify=trusted, timeout=10)
        assert "已经信任会场证书" in over_https.text
        assert f"{plain}/trust/ca.crt" in over_https.text  # the QR over HTTPS names this server's HTTP port

        # 会前检查's HTTPS check, against this server: trusted with the hall's authority, not with another.
        from voting import preflight

        status = tls.status(data / "tls")
        good = preflight._https(base, data / "tls" / "ca.crt", status)
        assert good.state == preflight.OK and f"还有 {status['days_left']} 天到期" in good.detail
        other = tls.ensure(tmp_path / "other", ["127.0.0.1"], [])
        assert preflight._https(base, other.ca_cert, status).state == preflight.FAIL

        # Backups on the schedule (here every 1.5 s), the newest two kept, each a sound database.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (tmp_path / "hall.log").read_text().count("已备份") < 3:
            time.sleep(0.5)
        copies = sorted(backups.glob("piaojue-*.sqlite3"))
        assert (tmp_path / "hall.log").read_text().count("已备份") >= 3 and len(copies) == 2, copies
        for copy in copies:
            with sqlite3.connect(copy) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                assert db.execute("SELECT COUNT(*) FROM poll").fetchone() == (0,)  # the tables are there

        # Stopping it (systemd's SIGTERM) drains: a tablet's request still arriving is answered by the
        # app, a new connection is refused, and the server then exits cleanly.
        first_part_sent, answered = threading.Event(), {}

        def slow_body() -> Iterator[bytes]:
            yield b'{"code": "'
            first_part_sent.set()
            time.sleep(2)
            yield b'0000 0000"}'

        def tablet() -> None:
            answered["response"] = httpx.post(f"{base}/api/tablet/login", content=slow_body(), verify=trusted,
                                              headers={"content-type": "application/json"}, timeout=30)

        in_flight = threading.Thread(target=tablet)
        in_flight.start()
        assert first_part_sent.wait(10)
        time.sleep(0.5)
        server.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/healthz", verify=trusted, timeout=3)
        in_flight.join(30)
        response = answered["response"]
        assert response.status_code in (400, 401) and response.headers["content-type"] == "application/problem+json"
        assert "登录码" in response.json()["detail"], response.text
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=45)
        except subprocess.TimeoutExpired:
            server.kill()
            code = "killed"
        log.seek(0)
        output = log.read()
    assert code == 0, output
    assert f"https://127.0.0.1:{port}" in output and "会场证书机构指纹" in output


def test_the_service_unit_runs_the_hall_and_reads_the_settings_the_app_knows():
    import configparser

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(ROOT / "scripts" / "piaojue-hall.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("-m voting hall") and service["KillSignal"] == "SIGTERM"
    from voting import hall_server

    assert int(service["TimeoutStopSec"]) > hall_server.DRAIN_SECONDS  # systemd waits for the drain
    assert service["EnvironmentFile"] == "/etc/piaojue.env"
    settings_read = "".join((ROOT / name).read_text() for name in ("config.py", "voting/hall_server.py", "web/logs.py"))
    for line in (ROOT / "scripts" / "piaojue.env").read_text().splitlines():
        name = line.lstrip("#").split("=", 1)[0].strip()
        if "=" in line and name.isupper():
            assert f'"{name}"' in settings_read, f"{name} in piaojue.env is read by nothing"
