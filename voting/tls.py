"""HTTPS for the hall: a local certificate authority made on this machine, and a server
certificate for the machine's LAN addresses and names, renewed before it expires.

Tablets install the authority's certificate once (the console's 平板证书 page shows it as a
download and a QR code); from then on they trust this server's address and no other party's,
and everything on the hall's Wi-Fi travels encrypted. The authority is constrained to private
and loopback addresses and to the names it was made for (X.509 name constraints), so its key,
if it ever leaked, could not vouch for a bank or a government site on the deputies' tablets.

Files, in `<data dir>/tls/`: `ca.crt` (public), `ca.key` (0600), `server.crt`, `server.key` (0600).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 365
RENEW_WITHIN = timedelta(days=30)
# Where the authority may vouch: private and loopback networks (RFC 1918, RFC 4193, loopback).
PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "fc00::/7", "::1/128")
ORGANISATION = "piaojue"


@dataclass(frozen=True)
class Certificates:
    directory: Path
    addresses: tuple[str, ...]
    names: tuple[str, ...]
    not_after: datetime
    ca_fingerprint: str  # SHA-256 of the authority's certificate, as phones show it
    ca_not_after: datetime
    renewed: bool  # a server certificate was made in this call

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    def days_left(self, now: datetime | None = None) -> int:
        return (self.not_after - (now or datetime.now(timezone.utc))).days


class TlsError(RuntimeError):
    """Certificates that cannot be made as asked; the message is Chinese."""


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses on its networks (not loopback), as `ip` lists them."""
    found: list[str] = []
    try:
        listed = subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"], capture_output=True,
                                text=True, timeout=5).stdout
        found = [line.split()[3].split("/")[0] for line in listed.splitlines() if len(line.split()) > 3]
    except (OSError, subprocess.SubprocessError):
        pass
    if not found:  # no `ip`: the address the default route leaves from (no packet is sent)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(("192.0.2.1", 9))
                found = [probe.getsockname()[0]]
            except OSError:
                found = []
    return [a for a in dict.fromkeys(found) if not ipaddress.ip_address(a).is_loopback]


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def _key_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def fingerprint(certificate: x509.Certificate) -> str:
    digest = certificate.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def _check_names(addresses: tuple[str, ...], names: tuple[str, ...]) -> None:
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise TlsError(f"“{address}”不是 IP 地址。") from None
        if not any(ip in ipaddress.ip_network(n) for n in PRIVATE_NETWORKS):
            raise TlsError(f"{address} 不是局域网地址：会场证书只用于局域网（10.x、172.16–31.x、192.168.x）。")
    for name in names:
        if not name or any(c.isspace() for c in name) or "/" in name:
            raise TlsError(f"“{name}”不是主机名。")


def _make_ca(directory: Path, names: tuple[str, ...], now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"票决会场证书机构 {socket.gethostname()}"[:64])])
    permitted: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_network(n)) for n in PRIVATE_NETWORKS]
    permitted += [x509.DNSName(n) for n in dict.fromkeys((*names, "localhost", "local"))]
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(directory / "ca.key", _key_bytes(key))
    (directory / "ca.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return certificate, key


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    cert_path, key_path = directory / "ca.crt", directory / "ca.key"
    if not (cert_path.exists() and key_path.exists()):
        return None
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    return certificate, key  # type: ignore[return-value]


def _permits(ca: x509.Certificate, names: tuple[str, ...]) -> bool:
    """Whether the authority's name constraints let it vouch for these host names."""
    try:
        constraints = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return True
    allowed = [g.value for g in constraints.permitted_subtrees or [] if isinstance(g, x509.DNSName)]
    return all(any(n == a or n.endswith("." + a) for a in allowed) for n in names)


def _covers(certificate: x509.Certificate, addresses: tuple[str, ...], names: tuple[str, ...]) -> bool:
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    have_ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    have_names = set(san.get_values_for_type(x509.DNSName))
    return set(addresses) <= have_ips and set(names) <= have_names


def ensure(directory: Path, addresses: list[str], names: list[str], *, now: datetime | None = None,
           server_days: int = SERVER_DAYS) -> Certificates:
    """The authority (made once) and a server certificate for these addresses and names, made
    again when missing, within RENEW_WITHIN of expiring, or not covering all of them."""
    now = now or datetime.now(timezone.utc)
    wanted_addresses = tuple(dict.fromkeys(addresses))
    wanted_names = tuple(dict.fromkeys(n.lower() for n in names))
    if not wanted_addresses and not wanted_names:
        raise TlsError("没有找到本机的局域网地址：请用 --address 指定平板访问的地址。")
    _check_names(wanted_addresses, wanted_names)
    loaded = _load_ca(directory)
    if loaded is None or loaded[0].not_valid_after_utc <= now or not _permits(loaded[0], wanted_names):
        if loaded is not None and not _permits(loaded[0], wanted_names):
            raise TlsError("现有的会场证书机构不能为这些主机名签发证书（它创建时只允许 "
                           "其当时的主机名）。请删除数据目录 tls/ 下的 ca.* 重新创建，并在平板上重新安装证书。")
        loaded = _make_ca(directory, wanted_names, now)
    ca, ca_key = loaded
    cert_path = directory / "server.crt"
    current = x509.load_pem_x509_certificate(cert_path.read_bytes()) if cert_path.exists() else None
    fresh = (current is not None and (directory / "server.key").exists()
             and current.issuer == ca.subject and current.not_valid_after_utc - now > RENEW_WITHIN
             and _covers(current, wanted_addresses, wanted_names))
    if fresh:
        server = current
    else:
        server = _make_server(directory, ca, ca_key, wanted_addresses, wanted_names, now, server_days)
    return Certificates(directory=directory, addresses=wanted_addresses, names=wanted_names,
                        not_after=server.not_valid_after_utc, ca_fingerprint=fingerprint(ca),
                        ca_not_after=ca.not_valid_after_utc, renewed=not fresh)


def _make_server(directory: Path, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey,
                 addresses: tuple[str, ...], names: tuple[str, ...], now: datetime, days: int) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    common = names[0] if names else addresses[0]
    alternative: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    alternative += [x509.DNSName(n) for n in names]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                                 x509.NameAttribute(NameOID.COMMON_NAME, common[:64])]))
        .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(directory / "server.key", _key_bytes(key))
    # Leaf then authority: a client that was not given the authority still sees the chain.
    (directory / "server.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return certificate


def status(directory: Path, now: datetime | None = None) -> dict | None:
    """What the console's pre-flight check and 平板证书 page show; None when there is no certificate."""
    if not (directory / "server.crt").exists() or not (directory / "ca.crt").exists():
        return None
    now = now or datetime.now(timezone.utc)
    server = x509.load_pem_x509_certificate((directory / "server.crt").read_bytes())
    ca = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {"addresses": [str(ip) for ip in san.get_values_for_type(x509.IPAddress)],
            "names": list(san.get_values_for_type(x509.DNSName)), "not_after": server.not_valid_after_utc,
            "days_left": (server.not_valid_after_utc - now).days, "ca_fingerprint": fingerprint(ca),
            "ca_not_after": ca.not_valid_after_utc}
