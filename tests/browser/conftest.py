"""Real-browser fixtures: the app served by uvicorn in a subprocess, Debian's Chromium.

The server shares the database of the test session: tests/conftest.py has already put
PIAOJUE_DATA, DATABASE_URL and PIAOJUE_SECRET into the environment and migrated, and
the subprocess inherits that environment. No browser is ever downloaded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.needs import missing

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def live_server():
    """Base URL of `uvicorn app:app` (one worker) on a free local port, stopped at the end."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="piaojue-uvicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/uvicorn"), "app:app", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError("uvicorn did not come up:\n" + Path(log.name).read_text(errors="replace")[-4000:])
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        os.unlink(log.name)


@pytest.fixture(scope="session")
async def browser():
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# --- WebKit (the iPad's engine): Debian's WebKitGTK MiniBrowser, driven by Selenium through
# WebKitWebDriver, on a virtual screen (Xvfb) the fixture starts. Nothing is downloaded.
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
XVFB = "/usr/bin/Xvfb"


def _minibrowser() -> str | None:
    found = sorted(Path("/usr/lib").glob("*/webkit2gtk-4.*/MiniBrowser"))
    return str(found[-1]) if found else None


@pytest.fixture(scope="session")
def virtual_screen():
    """A display for WebKitGTK (it has no headless mode): Xvfb on a free display number."""
    if not os.access(XVFB, os.X_OK):
        missing(f"{XVFB} is not installed (apt-get install xvfb)")
    read, write = os.pipe()
    process = subprocess.Popen([XVFB, "-displayfd", str(write), "-screen", "0", "1280x1400x24", "-nolisten", "tcp"],
                               pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as displays:
        number = displays.readline().strip()
    if not number:
        process.kill()
        raise RuntimeError("Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def webkit(virtual_screen):
    """Make MiniBrowser (WebKitGTK) sessions, each a fresh browser with no cookies, its window the
    size given (a tablet's, by default); all are closed after the test."""
    minibrowser = _minibrowser()
    if not (os.access(WEBKIT_DRIVER, os.X_OK) and minibrowser):
        missing(f"{WEBKIT_DRIVER} or MiniBrowser is not installed (apt-get install webkit2gtk-driver)")
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    drivers = []

    def make(width: int = 800, height: int = 1280):
        options = Options()
        options.binary_location = minibrowser
        options.add_argument("--automation")
        service = Service(executable_path=WEBKIT_DRIVER, env={**os.environ, "DISPLAY": virtual_screen})
        driver = webdriver.WebKitGTK(options=options, service=service)
        drivers.append(driver)
        driver.set_window_rect(0, 0, width, height)
        driver.implicitly_wait(0)
        return driver

    yield make
    for driver in drivers:
        driver.quit()
