"""sipp as a peer that is not pjsua2: registration, an answering phone that echoes RTP,
and an authenticated caller that streams a tone. Used by tests and by bench/.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from tests.support.box import Box
from tests.support.net import free_port

SCENARIOS = Path(__file__).resolve().parents[1] / "sipp"


def sipp() -> str:
    found = shutil.which("sipp")
    assert found, "sipp is missing: ./build.sh setup installs sip-tester"
    return found


def tone_file(workdir: Path, freq: int = 1000, seconds: int = 2) -> Path:
    """A raw A-law tone that sipp streams as RTP (sox writes it)."""
    path = workdir / f"tone{freq}.al"
    if not path.exists():
        subprocess.run(
            ["sox", "-n", "-r", "8000", "-c", "1", "-t", "al", str(path), "synth", str(seconds)]
            + ["sine", str(freq)],
            check=True,
        )
    return path


def caller_scenario(workdir: Path, media: Path) -> Path:
    """sipp cannot take a variable in rtp_stream, so the file path is written in."""
    text = (SCENARIOS / "uac_auth.xml").read_text().replace("@MEDIA_FILE@", str(media))
    path = workdir / "uac_auth.xml"
    path.write_text(text)
    return path


def register(
    *, server: str, number: str, password: str, contact_port: int, local_port: int, cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sipp(), server, "-sf", str(SCENARIOS / "register.xml"), "-s", number]
        + ["-au", number, "-ap", password, "-set", "contact_port", str(contact_port)]
        + ["-set", "expires", "600", "-i", "127.0.0.1", "-p", str(local_port)]
        + ["-m", "1", "-nostdin", "-timeout", "10s", "-trace_err"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def subscribe_dialog(
    *, server: str, watcher: str, password: str, presentity: str, local_port: int, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """A BLF key that is not pjsua2: subscribes to ``presentity``'s dialog events as
    ``watcher`` and takes the first NOTIFY; exit status 0 only if all went as written."""
    return subprocess.run(
        [sipp(), server, "-sf", str(SCENARIOS / "subscribe_dialog.xml"), "-s", presentity]
        + ["-au", watcher, "-ap", password, "-set", "watcher", watcher]
        + ["-i", "127.0.0.1", "-p", str(local_port), "-m", "1", "-nostdin"]
        + ["-timeout", "10s", "-trace_err"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def answering_echo(
    *, port: int, media_port: int, calls: int, cwd: Path, extra: list[str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sipp(), "-sf", str(SCENARIOS / "uas_echo.xml"), "-i", "127.0.0.1", "-p", str(port)]
        + ["-mi", "127.0.0.1", "-mp", str(media_port), "-rtp_echo", "-m", str(calls)]
        + ["-nostdin", "-trace_err", "-trace_stat", *(extra or [])],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def echo_phone(
    *,
    server: str,
    number: str,
    password: str,
    calls: int,
    cwd: Path,
    port: int | None = None,
    extra: list[str] | None = None,
) -> subprocess.Popen[str]:
    """A sipp phone registered as ``number`` that answers ``calls`` calls and echoes their RTP.

    The same ``port`` again refreshes the phone's one registration instead of adding a contact.
    """
    port = port or free_port()
    reg = register(
        server=server,
        number=number,
        password=password,
        contact_port=port,
        local_port=free_port(),
        cwd=cwd,
    )
    if reg.returncode != 0:
        raise RuntimeError(f"sipp could not register {number}: {reg.stderr}")
    return answering_echo(port=port, media_port=free_port(), calls=calls, cwd=cwd, extra=extra)


def accounts_file(workdir: Path, accounts: dict[str, str], caller_id: str | None = None) -> Path:
    """The callers' credentials, one call after another taking the next account.

    ``caller_id`` puts one From user on every call, as a PBX's trunk sends its DID
    while authenticating as its account.
    """
    lines = [
        f"{caller_id or user};[authentication username={user} password={pw}]"
        for user, pw in accounts.items()
    ]
    text = "\n".join(["SEQUENTIAL", *lines]) + "\n"
    path = workdir / f"accounts-{hashlib.sha256(text.encode()).hexdigest()[:12]}.csv"
    path.write_text(text)
    return path


def authenticated_caller(
    *,
    server: str,
    accounts: dict[str, str],
    caller_id: str | None = None,
    callee: str,
    local_port: int,
    media_port: int,
    hold_ms: int,
    cwd: Path,
    media: Path,
    extra: list[str] | None = None,
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sipp(), server, "-sf", str(caller_scenario(cwd, media)), "-s", callee]
        + ["-inf", str(accounts_file(cwd, accounts, caller_id)), "-d", str(hold_ms)]
        + ["-i", "127.0.0.1", "-p", str(local_port), "-mi", "127.0.0.1", "-mp", str(media_port)]
        + ["-nostdin", "-trace_err", "-trace_stat", *(extra or [])],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def extension_calls(
    box: Box, *, hold_ms: int, cwd: Path, extra: list[str], caller: str = "101", callee: str = "102"
) -> subprocess.Popen[str]:
    """sipp calling ``callee`` as the box's extension ``caller``, streaming a 1 kHz tone."""
    return authenticated_caller(
        server=box.server,
        accounts={caller: box.password(caller)},
        callee=callee,
        local_port=free_port(),
        media_port=free_port(),
        hold_ms=hold_ms,
        cwd=cwd,
        media=tone_file(cwd, 1000),
        extra=extra,
    )


def stop(proc: subprocess.Popen[str], timeout: float = 15.0) -> int:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
