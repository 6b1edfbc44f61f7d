"""A tool a test needs (Chromium, pg_waldump, pageinspect) is missing: the test is skipped on a
developer's machine and fails when CI is set, since `make test` installs all of them and a run that
silently skipped the browser or the storage attacks would claim what it did not check."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(message: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{message}; with CI set a test never skips for a missing tool (make system-packages)",
                    pytrace=False)
    pytest.skip(message)
