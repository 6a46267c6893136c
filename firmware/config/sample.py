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


_INBOUND = """\
# DISABLED until you fill it in: the city number arrives on your provider's SIP
# trunk. Remove the leading "# " from the [[trunks]] block below and from the
# [[numbers]] block at the end, put in your provider's registrar, account and
# password, check with `minipbx config check`, then `minipbx reload`. Until
# then calls inside the office work as ever and no registration is attempted.
# [[trunks]]
# name = "city"
# kind = "sip"
# host = "REGISTRAR-OF-YOUR-PROVIDER"
# username = "74951110000"
# password = "{trunk_password}"
# channels = 2
# caller_id = "+74951110000"

# Operating modes: day Mon-Fri 09:00-18:00, lunch 13:00-14:00, night otherwise.
# Reception (an admin) forces one with *801 (day), *802 (lunch), *803 (night); *800 releases.
[modes]
default = "night"
schedule = [
  {{ mode = "day", days = "mon-fri", start = "09:00", end = "18:00" }},
  {{ mode = "lunch", days = "mon-fri", start = "13:00", end = "14:00" }},
]

[[departments]]
number = "600"
name = "Sales"
strategy = "sequential"     # one after another, 10 s each
members = ["101", "102", "103"]

[[departments]]
number = "610"
name = "Support"
strategy = "all"            # all at once; callers queue with music when all are busy
members = ["104", "105"]

[[menus]]
name = "main"
prompt = "menu_default"     # "press 1 for sales, 2 for support, or dial an extension"
keys = {{ "1" = "department:600", "2" = "department:610", "0" = "extension:100" }}
default = "extension:100"

# ICM, the intelligent contact manager: a returning customer rings the manager
# who last talked with them (the box's own calls, 90 days); when that manager
# is away, busy or does not answer in 20 s the day scenario goes on to the menu.
[icm]
number = "6100"            # a menu key "icm" or dialing 6100 in the menu reaches it too
sources = ["history"]      # in order; add "amocrm", "bitrix24" or "megaplan" once set up below
exceptions = ["100"]       # reception is never anybody's manager
ring_mobile = false        # true: also the manager's mobile after their forward_after

# The office's CRM as a source: fill in one of these, add its name to sources.
# [icm.amocrm]
# url = "https://YOUR-SUBDOMAIN.amocrm.ru"
# token_file = "/etc/minipbx/amocrm.token"      # a long-lived token
# users = {{ "1234567" = "101" }}                 # CRM user id -> extension
#
# [icm.bitrix24]
# webhook_file = "/etc/minipbx/bitrix24.webhook" # https://PORTAL/rest/USER/CODE/
# users = {{ "7" = "102" }}                       # when the user has no inner phone in Bitrix24
#
# [icm.megaplan]
# url = "https://YOUR-ACCOUNT.megaplan.ru"
# username = "pbx@example.ru"
# password_file = "/etc/minipbx/megaplan.password"
# users = {{ "1000005" = "103" }}

[[scenarios]]
name = "day"
steps = [
  {{ kind = "greeting" }},                    # good morning / day / evening by the clock
  {{ kind = "icm" }},                         # a returning customer rings their manager first
  {{ kind = "menu", menu = "main" }},
  {{ kind = "queue", department = "600" }},
  {{ kind = "voicemail", mailbox = "100" }},
]

[[scenarios]]
name = "lunch"
steps = [
  {{ kind = "greeting" }},
  {{ kind = "dial", target = "extension:100", ring_timeout = 20 }},
  {{ kind = "voicemail", mailbox = "100" }},
]

[[scenarios]]
name = "night"
steps = [
  {{ kind = "greeting" }},
  {{ kind = "voicemail", mailbox = "100" }},
]

# DISABLED with the trunk above: remove the "# " once the trunk is filled in.
# [[numbers]]
# number = "+7 495 111-00-00"
# trunk = "city"
# scenarios = {{ day = "day", lunch = "lunch", night = "night" }}
"""


def strong_password(length: int = 16) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def sample_office() -> str:
    blocks = [_HEADER]
    for number, name, role in _STAFF:
        pin = ""
        if role == "admin":
            pin = f'voicemail_pin = "{"".join(secrets.choice(string.digits) for _ in range(6))}"\n'
        blocks.append(
            f'[[extensions]]\nnumber = "{number}"\nname = "{name}"\nrole = "{role}"\n'
            f'password = "{strong_password()}"\n{pin}'
        )
    blocks.append(_INBOUND.format(trunk_password=strong_password()))
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
