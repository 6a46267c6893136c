"""The web UI's route tests share a box home with the sample office and its accounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.web import WebBox


@pytest.fixture
def box(tmp_path: Path) -> WebBox:
    return WebBox(tmp_path / "home")
