"""The offline bundle (issue 15, item 3), as an IT officer in a hall without internet uses it.

`make bundle`'s script builds the archive here. The test then unpacks it in a fresh directory
and runs install.sh in a network namespace of its own, which has no network at all, with every
pip setting of this machine switched off. It loads the demo, serves the installed copy, and a
secretariat login prints a PDF from it. The aarch64 half cannot run here, so the test checks it
carries a wheel that such a machine takes for every pinned package. It also checks what the
bundle refuses: a file changed after it was made, and a machine without the fonts the PDFs need
(named with the packages to install).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tarfile
import time
from pathlib import Path

import httpx
import pytest
from packaging.utils import parse_wheel_filename
from pypdf import PdfReader

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements-runtime.lock"


def pins() -> dict[str, str]:
    return {name.lower().replace("_", "-"): version for name, version in
            re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", LOCK.read_text(), re.M)}


def offline_env(**more: str) -> dict[str, str]:
    """This machine's environment without its pip settings (its own wheel directory and indexes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k not in ("VIRTUAL_ENV",)}
    env.update({"PIP_CONFIG_FILE": os.devnull, "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
                "PIAOJUE_DEMO": "1", **more})
    env.pop("DATABASE_URL", None)
    return env


def without_network(command: list[str]) -> list[str]:
    """`command` in a new network namespace (only a loopback, down): no address outside is reachable."""
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n", *command]
    return command  # not allowed to make namespaces: the proxies above point nowhere, pip has --no-index


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    made = subprocess.run(["bash", "scripts/bundle.sh"], cwd=ROOT, env={**os.environ, "BUNDLE_DIR": str(out)},
                          capture_output=True, text=True, timeout=900)
    assert made.returncode == 0, made.stdout + made.stderr
    archives = list(out.glob("piaojue-*.tar.gz"))
    assert len(archives) == 1 and str(archives[0]) in made.stdout
    return archives[0]


def unpack(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    (site,) = into.iterdir()
    return site


def test_the_bundle_carries_the_application_and_a_wheel_for_every_pin_on_both_machines(bundle, tmp_path):
    site = unpack(bundle, tmp_path)
    for path in ("app.py", "voting/ballot_box.py", "templates", "static/vendor", "requirements-runtime.lock",
                 "scripts/piaojue-hall.service", "install.sh", "SHA256SUMS", "README.md"):
        assert (site / path).exists(), path
    assert not (site / "tests").exists() and not (site / ".git").exists()
    wanted = pins()
    for arch in ("x86_64", "aarch64"):
        found = {}
        for wheel in (site / "wheels" / arch).glob("*.whl"):
            name, version, _, tags = parse_wheel_filename(wheel.name)
            assert any(t.interpreter in ("cp311", "py3", "cp38", "cp310", "py2.py3") for t in tags), wheel.name
            assert all(t.platform == "any" or t.platform.endswith(arch) for t in tags), wheel.name
            found[str(name)] = str(version)
        assert found == wanted, f"{arch}: " + str(set(found.items()) ^ set(wanted.items()))


def test_it_installs_with_no_network_serves_and_prints_a_pdf(bundle, tmp_path):
    site = unpack(bundle, tmp_path)
    data = site / "var"
    env = offline_env(PIAOJUE_DATA=str(data))
    installed = subprocess.run(without_network(["bash", "install.sh"]), cwd=site, env=env,
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "检查通过" in installed.stdout and "安装完成" in installed.stdout
    python = site / ".venv" / "bin" / "python"
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True,
                            env=env).stdout
    assert {line.split("==")[0].lower().replace("_", "-") for line in listed.split()} >= set(pins())
    for command in (["-m", "voting", "demo"], ["-m", "lifecycle", "demo"]):
        loaded = subprocess.run(without_network([str(python), *command]), cwd=site, env=env, capture_output=True,
                                text=True, timeout=300)
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr

    port = free_port()
    log = (tmp_path / "server.log").open("w+")
    server = subprocess.Popen([str(site / ".venv/bin/uvicorn"), "app:app", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=site, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, log.read()
            time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=60) as clerk:
            clerk.get("/console/login")
            signed_in = clerk.post("/console/login", data={"username": "mishu", "password": "qingxi2025",
                                                           "_csrf_token": clerk.cookies.get("csrftoken", "")})
            assert signed_in.status_code in (302, 303), signed_in.text[-500:]
            printed = clerk.get("/console/dashboard/bulletin.pdf")
        assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(printed.content)).pages)
        assert "民生实事项目" in text and "青溪县" in text
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (data / "piaojue.sqlite3").exists()


def test_a_changed_file_or_a_missing_font_stops_the_install_before_anything_is_installed(bundle, tmp_path):
    site = unpack(bundle, tmp_path)
    (site / "voting" / "ballot_box.py").write_text("# changed after the bundle was made\n", encoding="utf-8")
    changed = subprocess.run(["bash", "install.sh"], cwd=site, env=offline_env(), capture_output=True, text=True)
    assert changed.returncode == 1 and "与 SHA256SUMS 不符" in changed.stderr
    assert "voting/ballot_box.py" in changed.stderr and not (site / ".venv").exists()

    other = unpack(bundle, tmp_path / "second")
    bin_dir = tmp_path / "no-fonts"
    bin_dir.mkdir()
    (bin_dir / "fc-list").write_text("#!/bin/sh\necho 'DejaVu Sans'\n")
    (bin_dir / "fc-list").chmod(0o755)
    no_fonts = offline_env(PATH=f"{bin_dir}:{os.environ['PATH']}")
    missing = subprocess.run(["bash", "install.sh"], cwd=other, env=no_fonts, capture_output=True, text=True)
    assert missing.returncode == 1 and "请先从本单位的软件源安装" in missing.stderr
    assert "fonts-noto-cjk" in missing.stderr and "google-noto-sans-cjk-ttc-fonts" in missing.stderr
    assert not (other / ".venv").exists()
    check = subprocess.run(["bash", "install.sh", "--check"], cwd=other, env=offline_env(), capture_output=True,
                           text=True)
    assert check.returncode == 0 and "检查通过" in check.stdout and not (other / ".venv").exists()
