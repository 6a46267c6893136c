"""The web UI under test: an app over a temp home, a test client, and signing in as someone.

Forms are read with the standard library's HTML parser, the way a browser
finds a form's hidden fields, so a test posts exactly what the page offers.
"""

from __future__ import annotations

import io
import math
import wave
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response

from firmware.config import load_config
from firmware.config.sample import write_sample_if_missing
from firmware.home import Home
from web_ui.accounts import ADMIN
from web_ui.app import create_app
from web_ui.context import Web

USER_PASSWORD = "Olga-web-pass-42"
#: The office's line and number, as an installer fills in the sample's commented blocks.
OFFICE_LINE = """
[[trunks]]
name = "city"
kind = "sip"
host = "127.0.0.1:5999"
username = "74951110000"
password = "Trunk-pass-123"

[[numbers]]
number = "+7 495 111-00-00"   # the office number
trunk = "city"
scenarios = { day = "day", lunch = "lunch", night = "night" }
"""
USER = "102"


class Clock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.errors: list[tuple[str, str]] = []
        self._error_field: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name") and found.get("type") != "checkbox":
            self.values.setdefault(str(found["name"]), found.get("value") or "")
        if tag == "span" and "field-error" in (found.get("class") or ""):
            self._error_field = found.get("data-field") or ""

    def handle_data(self, data: str) -> None:
        if self._error_field is not None:
            self.errors.append((self._error_field, data))
            self._error_field = None


def inputs(page: str) -> dict[str, str]:
    """The first value of each named input on ``page`` (hidden csrf and version included)."""
    parser = _Inputs()
    parser.feed(page)
    return parser.values


def field_errors(page: str) -> list[tuple[str, str]]:
    """(field, message) for each error shown next to a field."""
    parser = _Inputs()
    parser.feed(page)
    return parser.errors


@dataclass
class WebBox:
    root: Path
    clock: Clock = field(default_factory=Clock)
    make_admin: bool = True
    office_line: bool = True

    def __post_init__(self) -> None:
        self.home = Home(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        if write_sample_if_missing(self.home.config) and self.office_line:
            with self.home.config.open("a", encoding="utf-8") as out:
                out.write(OFFICE_LINE)
        self.app = create_app(self.home, load_config(self.home.config).web, clock=self.clock)
        self.web: Web = self.app.state.web
        self.admin_password = ""
        if self.make_admin:
            admin_password = self.web.accounts.create_admin_if_missing()
            assert admin_password is not None
            self.admin_password = admin_password
        self.web.accounts.set_password(USER, USER_PASSWORD)

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://127.0.0.1", follow_redirects=False)

    def signed_in(self, login: str) -> TestClient:
        client = self.client()
        password = self.admin_password if login == ADMIN else USER_PASSWORD
        answer = sign_in(client, login, password)
        assert answer.status_code == 303, answer.text
        return client

    def config_text(self) -> str:
        return self.home.config.read_text(encoding="utf-8")


def wav(*, rate: int = 8000, channels: int = 1, seconds: float = 0.5, hz: int = 440) -> bytes:
    """A sine tone as a WAV file's bytes, as someone would upload a recording."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(int(rate * seconds)):
            sample = int(8000 * math.sin(2 * math.pi * hz * i / rate)).to_bytes(
                2, "little", signed=True
            )
            frames += sample * channels
        w.writeframes(bytes(frames))
    return out.getvalue()


def sign_in(client: TestClient, login: str, password: str) -> Response:
    token = inputs(client.get("/login").text)["csrf"]
    return client.post("/login", data={"login": login, "password": password, "csrf": token})


def post_form(
    client: TestClient, page: str, action: str, data: dict[str, str | list[str]]
) -> Response:
    """Posts ``data`` to ``action`` with the csrf and version fields ``page`` carries."""
    hidden = inputs(client.get(page).text)
    return client.post(action, data={"csrf": hidden["csrf"], "version": hidden["version"], **data})


class _Form(HTMLParser):
    """What a browser submits from one form: text inputs, checked boxes, chosen options."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.values: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.inside = found.get("id") == self.form_id
        if not self.inside:
            return
        name = found.get("name") or ""
        if tag == "input" and name and found.get("type") not in ("file", "submit"):
            if found.get("type") != "checkbox":
                self.values[name] = found.get("value") or ""
            elif "checked" in found:
                self.values[name] = "on"
        elif tag == "select":
            self._select = name
        elif (
            tag == "option"
            and self._select
            and ("selected" in found or self._select not in self.values)
        ):
            self.values[self._select] = found.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self.inside = False


def form_fields(page: str, form_id: str) -> dict[str, str]:
    """The fields the form ``form_id`` on ``page`` submits as it stands (csrf and version
    included), as a browser would send them when the admin changes nothing."""
    parser = _Form(form_id)
    parser.feed(page)
    return parser.values
