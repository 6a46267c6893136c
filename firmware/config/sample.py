"""The sample office written on first run: a Moscow office with reception and five staff.

Each password is generated when the file is written, so no two boxes share
credentials and none of them is a default that works anywhere else.
"""

from __future__ import annotations

import secrets
import string
from pathlib import Path

_ALPHABET = string.ascii_letters + string.digits
_STAFF = [
    ("100", "Reception", "admin"),
    ("101", "Ivan Petrov", "user"),
    ("102", "Olga Smirnova", "user"),
    ("103", "Sergey Ivanov", "user"),
    ("104", "Anna Kuznetsova", "user"),
    ("105", "Dmitry Sokolov", "user"),
]

_HEADER = """\
# pbx.toml: the whole configuration of this box. Every key is described in
# docs/config.md. Check an edit with `minipbx config check FILE`, apply it with
# `minipbx reload`: a file with a mistake is refused and the box keeps running.

[system]
name = "Moscow office"
region = "RU"              # numbering plan and call progress tones
language = "ru"
area_code = "495"
timezone = "Europe/Moscow"
sip_domain = "pbx.local"   # the digest realm phones authenticate in
board = "sim"              # boards/sim.toml: no hardware needed

[network]
sip_address = "127.0.0.1"  # where phones reach the box; a LAN address on a real install
sip_port = 5060
media_address = "127.0.0.1"

[calls]
ring_timeout = 30          # seconds a phone rings before the call counts as not answered
"""


def strong_password(length: int = 16) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def sample_office() -> str:
    blocks = [_HEADER]
    for number, name, role in _STAFF:
        blocks.append(
            f'[[extensions]]\nnumber = "{number}"\nname = "{name}"\nrole = "{role}"\n'
            f'password = "{strong_password()}"\n'
        )
    return "\n".join(blocks)


def write_sample_if_missing(path: Path) -> bool:
    """Writes the sample office unless a config exists; True when it wrote one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as f:
            f.write(sample_office())
    except FileExistsError:
        return False
    path.chmod(0o600)
    return True
