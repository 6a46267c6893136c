"""Set-up: prompts. Each prompt of the box's language, whether an installer's recording or
the built-in one plays, a player to listen, and an upload that replaces it. An upload is
checked as ``minipbx config check`` checks installer prompts (the engine plays 8 kHz mono
16-bit PCM or G.711 WAV): a file it cannot play is refused with the reason and the sox
line that converts it, and the prompt in place stays."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from firmware.prompts import LANGUAGES, NAME, prompt_names
from firmware.prompts.library import PromptMissing
from web_ui.context import log, snapshot_or_none, web_of
from web_ui.deps import Admin
from web_ui.forms import text
from web_ui.uploads import place_recording, sent_recording

router = APIRouter(prefix="/setup/prompts")


def _language(request: Request) -> str:
    snapshot = snapshot_or_none(request)
    return snapshot.config.system.language if snapshot else LANGUAGES[0]


def _page(request: Request, *, flash: str | None = None, error: str = "", status: int = 200) -> Any:
    web = web_of(request)
    library = web.config_file.prompts
    lang = _language(request)
    custom = library.custom / lang if library.custom else None
    own = sorted(p.stem for p in custom.glob("*.wav")) if custom and custom.is_dir() else []
    rows = []
    for name in dict.fromkeys([*prompt_names(), *own]):
        try:
            path = library.path(name, lang)
            source = "recording" if custom is not None and path.parent == custom else "built-in"
        except PromptMissing:
            source = "missing"
        rows.append({"name": name, "source": source})
    return web.render(
        request,
        "prompts.html",
        status=status,
        lang=lang,
        rows=rows,
        problems=library.problems(),
        error=error,
        flash=flash,
    )


@router.get("")
def prompts(request: Request, viewer: Admin) -> Any:
    return _page(request)


@router.get("/{lang}/{name}.wav")
def listen(request: Request, lang: str, name: str, viewer: Admin) -> FileResponse:
    if lang not in LANGUAGES:
        raise HTTPException(404, f"no language {lang}")
    try:
        path = web_of(request).config_file.prompts.path(name, lang)
    except PromptMissing as exc:
        raise HTTPException(404, str(exc)) from None
    return FileResponse(path, media_type="audio/wav")


@router.post("/upload")
async def upload(request: Request, viewer: Admin) -> Any:
    form = await request.form()
    name = text(form, "name")
    lang = _language(request)
    library = web_of(request).config_file.prompts
    if not NAME.match(name):
        return _page(request, error=f"{name!r} is not a prompt name ([a-z0-9_])", status=422)
    sent = await sent_recording(form, "a prompt")
    if isinstance(sent, str):
        return _page(request, error=sent, status=422)
    if library.custom is None:
        return _page(request, error="this box keeps no recordings", status=422)
    target = library.custom / lang / f"{name}.wav"
    target.parent.mkdir(parents=True, exist_ok=True)
    problem = place_recording(target, sent)
    if problem is not None:
        return _page(request, error=f"Not replaced: {problem}", status=422)
    log.info("prompt %s/%s replaced from the web UI by %s", lang, name, viewer.login)
    return _page(request, flash=f"Prompt {name} replaced: callers hear the new recording.")
