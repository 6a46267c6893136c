"""Recordings sent through the web UI (installer prompts, an employee's voicemail greeting).

Both go through the one check ``minipbx config check`` applies to prompts
(``check_recording``: the engine plays 8 kHz mono 16-bit PCM or G.711 WAV), and both
are placed the same way: written beside their target, owner-only, and renamed into
place only once checked, so a refused or half-received file never replaces what plays.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import NamedTuple

from starlette.datastructures import FormData, UploadFile

from firmware.prompts.library import check_recording

#: An upload larger than this is no prompt or greeting (ten minutes of 8 kHz 16-bit audio).
MAX_BYTES = 10 * 60 * 8000 * 2


class SentRecording(NamedTuple):
    """An uploaded file: its name as the sender's browser gave it, and its bytes."""

    name: str
    data: bytes


async def sent_recording(form: FormData, what: str) -> SentRecording | str:
    """The form's ``file``, or why there is none to use (``what``: a prompt, a greeting)."""
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        return "choose a WAV file to upload"
    data = await sent.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return f"{sent.filename}: too long for {what}"
    return SentRecording(Path(sent.filename).name or "upload.wav", data)


def place_recording(target: Path, sent: SentRecording) -> str | None:
    """Writes the recording (mode 0600) beside ``target`` and renames it into place only when
    the engine can play it; otherwise removes it and says why, naming the file as sent."""
    folder = Path(tempfile.mkdtemp(dir=target.parent, prefix=".upload-"))
    held = folder / sent.name
    try:
        fd = os.open(held, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(sent.data)
        problem = check_recording(held)
        if problem is None:
            os.replace(held, target)
            return None
        return problem.replace(f"{folder}{os.sep}", "")
    finally:
        held.unlink(missing_ok=True)
        folder.rmdir()
