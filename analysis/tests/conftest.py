from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_MEDIA = Path(__file__).resolve().parent / "media"


def shared_media_dir() -> Path:
    return Path(os.environ.get("SHARED_MEDIA_DIR", REPO_ROOT.parent / "shared" / "media"))


@pytest.fixture(scope="session")
def shared_media() -> Path:
    """The shared real-media folder; tests that need it are skipped (not passed) without it."""
    path = shared_media_dir()
    if not (path / "MANIFEST.tsv").is_file():
        pytest.skip(f"shared media not found at {path} (set SHARED_MEDIA_DIR)")
    return path
