"""Call recordings to listen to: an admin may hear any, an employee only the calls they were
in (as caller, callee, the one who answered or the one it was transferred to, as their own
call list counts them). Another's recording is answered as if it did not exist."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from firmware.store.db import connect
from firmware.store.recordings import RecordingArchive
from web_ui.accounts import Viewer
from web_ui.context import log, web_of
from web_ui.deps import SignedIn

router = APIRouter(prefix="/recordings")

#: The parties of a call an employee may hear it as.
PARTIES = ("caller", "callee", "answered_by", "transferred_to")


def may_hear(viewer: Viewer, row: dict[str, object]) -> bool:
    return viewer.role == "admin" or (
        viewer.extension is not None and viewer.extension in (row.get(p) for p in PARTIES)
    )


@router.get("/{record}.wav")
def recording(request: Request, record: int, viewer: SignedIn) -> FileResponse:
    home = web_of(request).home
    conn = connect(home.store)
    try:
        row = conn.execute("SELECT * FROM calls WHERE id = ?", (record,)).fetchone()
        call = dict(row) if row is not None else None
        path = RecordingArchive(conn, home.recordings_dir).path(record)
    finally:
        conn.close()
    if call is None or not may_hear(viewer, call):
        raise HTTPException(404, f"no recording of call {record}")
    if path is None:
        why = call.get("recording_removed")
        raise HTTPException(
            404,
            f"call {record}'s recording was removed ({why})"
            if why
            else f"no recording of call {record}",
        )
    archive = home.recordings_dir.resolve()
    if not path.resolve().is_relative_to(archive) or not path.is_file():
        raise HTTPException(404, f"no recording of call {record}")
    log.info("web: %s listens to the recording of call %d", viewer.login, record)
    return FileResponse(path, media_type="audio/wav")
