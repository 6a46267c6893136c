"""Where a box keeps its files: one directory, ``var/`` in a checkout."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def from_env(cls, given: str | None = None) -> Home:
        return cls(Path(given or os.environ.get("MINIPBX_HOME") or "var").resolve())

    @property
    def config(self) -> Path:
        return self.root / "pbx.toml"

    @property
    def last_good_config(self) -> Path:
        """The last pbx.toml the engine accepted (firmware/config/last_good.py)."""
        return self.root / "pbx.last-good.toml"

    @property
    def store(self) -> Path:
        return self.root / "pbx.db"

    @property
    def sipedge_db(self) -> Path:
        return self.root / "sipedge.db"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def control_socket(self) -> Path:
        return self.run_dir / "engine.sock"

    @property
    def pjsua_log(self) -> Path:
        return self.run_dir / "engine-pjsua.log"

    @property
    def custom_prompts(self) -> Path:
        """The installer's recordings, ``<lang>/<name>.wav``, played instead of the built-in ones.

        Not ``prompts/``: in a checkout the home is ``var/``, where the build
        renders the built-in set into ``var/prompts`` (``firmware.prompts.BUILT_DIR``).
        """
        return self.root / "custom-prompts"

    @property
    def voicemail_dir(self) -> Path:
        """Voicemail WAVs and greetings, ``<mailbox>/``; the index is in the store."""
        return self.root / "voicemail"

    @property
    def recordings_dir(self) -> Path:
        """Recorded calls, ``<date>/call-<record>.wav``; the call record links each one."""
        return self.root / "recordings"
