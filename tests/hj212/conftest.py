"""Fixtures for the HJ 212 codec tests: the reference files, read in place.

The reference data lives beside the project (``../shared/reference/`` from the project root) and
is never copied in.  When that folder is absent the tests that need it are skipped, except under
CI (``CI=true``), where a missing folder is a failure.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = PROJECT_ROOT / ".." / "shared" / "reference"


def reference_path(*parts: str) -> Path:
    """A path under ../shared/reference/; skip (or fail under CI) when it is absent."""
    path = REFERENCE.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing, and CI=true forbids skipping")
        pytest.skip(f"{path} is absent: the ../shared/reference/ folder is not on this machine")
    return path


@pytest.fixture(scope="session")
def samples() -> dict[str, bytes]:
    """id -> raw frame bytes of hj212-samples.jsonl (97 real frames)."""
    path = reference_path("hj212-samples.jsonl")
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return {row["id"]: row["raw"].encode("utf-8") for row in rows}


@pytest.fixture(scope="session")
def capture_files() -> list[Path]:
    """The real day of traffic, one file per hour."""
    folder = reference_path("hj212-capture")
    files = sorted(folder.glob("*.h212"))
    if not files:
        pytest.fail(f"{folder} holds no .h212 files")
    return files


@pytest.fixture(scope="session")
def capture_hour(capture_files: list[Path]) -> list[bytes]:
    """Lines (CR kept, LF removed) of the first hour of the capture."""
    data = capture_files[0].read_bytes()
    return [line for line in data.split(b"\n") if line]


@pytest.fixture(autouse=True)
def _fast_password_hashing() -> None:
    """Override the project-wide autouse fixture of the same name, which needs pytest-django's
    ``settings``: the codec is pure Python, so these tests also run with ``-p no:django``."""
