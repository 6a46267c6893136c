"""Adapters and phones fetch their files from the running provisioning service: each gets
its own, parsed as the device would, and nobody else gets anything."""

from __future__ import annotations

import configparser
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from drivers.provisioning import ProvisioningService, box_key, device_secret
from drivers.provisioning_files import DeviceConfigError, file_for
from firmware.config.schema import Config
from tests.support.net import free_port

HT813, SPA112, T46U, STRANGER = "000b82aa0001", "e05fb9aa0002", "805ec0aa0003", "000b82ffffff"
PASSWORDS = {"101": "Ivan-Secret-xyz", "102": "Olga-Secret-xyz", "103": "Sergey-Secret-xyz"}


def office(**provisioning: Any) -> Config:
    return Config.model_validate(
        {
            "system": {"sip_domain": "pbx.test", "region": "RU"},
            "network": {"sip_port": 5060},
            "extensions": [
                {"number": "101", "name": "Ivan", "password": PASSWORDS["101"], "device": "fxs:1"},
                {"number": "102", "name": "Olga", "password": PASSWORDS["102"], "device": "fxs:2"},
                {"number": "103", "name": "Sergey", "password": PASSWORDS["103"]},
            ],
            "trunks": [
                {"name": "city", "kind": "fxo", "username": "fxo1", "password": "Line-Secret-1"}
            ],
            "provisioning": {
                "enabled": True,
                "devices": [
                    {
                        "mac": "00:0B:82:AA:00:01",
                        "model": "ht813",
                        "ports": ["101"],
                        "line": "city",
                        "rings_before_answer": 3,
                    },
                    {"mac": "e0-5f-b9-aa-00-02", "model": "spa112", "ports": ["101", "102"]},
                    {"mac": T46U, "model": "t46u", "extension": "103", "blf": ["101", "102"]},
                ],
                **provisioning,
            },
        }
    )


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    services: list[ProvisioningService] = []

    def start(config: Config) -> tuple[str, bytes]:
        port = free_port("tcp")
        settings = config.provisioning.model_copy(update={"port": port})
        config = config.model_copy(update={"provisioning": settings})
        key = box_key(tmp_path)
        service = ProvisioningService(config=lambda: config, key=key)
        services.append(service)
        service.start()
        assert service.status()["up"], service.status()
        return f"http://127.0.0.1:{port}", key

    yield start
    for service in services:
        service.stop()


def get(base: str, path: str, mac: str | None = None, key: bytes = b"") -> httpx.Response:
    auth = (mac, device_secret(key, mac)) if mac else None
    return httpx.get(f"{base}/{path}", auth=auth, timeout=5)


def test_each_device_fetches_its_own_file_in_its_vendors_terms(serve: Any) -> None:
    base, key = serve(office())

    gs = ET.fromstring(get(base, f"cfg{HT813}.xml", HT813, key).content)
    values = {e.tag: e.text for e in gs.find("config") or []}
    assert gs.findtext("mac") == HT813
    assert (values["P47"], values["P35"], values["P34"], values["P3"]) == (
        "pbx.test:5060",
        "101",
        PASSWORDS["101"],
        "Ivan",
    )
    # The FXO port: the line's adapter account, Russia's busy tone as the disconnect
    # signal, and three rings so the caller ID is read before it answers.
    assert (values["P401"], values["P735"], values["P734"]) == ("1", "fxo1", "Line-Secret-1")
    assert (values["P712"], values["P841"], values["P798"]) == ("1", "f1=425@-19,c=400/400;", "3")

    spa = ET.fromstring(get(base, f"{SPA112.upper()}.xml", SPA112, key).content)
    assert spa.tag == "flat-profile"
    assert [spa.findtext(f"User_ID_{n}_") for n in (1, 2)] == ["101", "102"]
    assert spa.findtext("Password_2_") == PASSWORDS["102"]
    assert spa.findtext("Proxy_1_") == "pbx.test:5060"

    text = get(base, f"{T46U}.cfg", T46U, key).text
    assert text.startswith("#!version:1.0.0.1\n")
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.read_string("[cfg]\n" + text.split("\n", 1)[1])
    cfg = parsed["cfg"]
    assert (cfg["account.1.user_name"], cfg["account.1.password"]) == ("103", PASSWORDS["103"])
    assert [(cfg[f"linekey.{k}.type"], cfg[f"linekey.{k}.value"]) for k in (2, 3)] == [
        ("16", "101"),
        ("16", "102"),
    ]
    common = get(base, "y000000000108.cfg", T46U, key)
    assert common.status_code == 200 and common.text.startswith("#!version:1.0.0.1\n")


def test_no_credential_a_wrong_one_or_another_devices_file_gets_nothing(serve: Any) -> None:
    base, key = serve(office())
    assert get(base, f"cfg{HT813}.xml").status_code == 401
    assert get(base, f"cfg{HT813}.xml").headers["www-authenticate"].startswith("Basic")
    wrong = httpx.get(f"{base}/cfg{HT813}.xml", auth=(HT813, "guess"), timeout=5)
    assert wrong.status_code == 401
    assert get(base, f"cfg{HT813}.xml", STRANGER, key).status_code == 401
    assert get(base, f"{SPA112.upper()}.xml", HT813, key).status_code == 404
    assert get(base, f"cfg{STRANGER}.xml", HT813, key).status_code == 404
    assert get(base, "y000000000108.cfg", HT813, key).status_code == 404


def test_an_allow_list_serves_listed_macs_only(serve: Any) -> None:
    base, _ = serve(office(auth="allow_list"))
    assert get(base, f"cfg{HT813}.xml").status_code == 200
    assert get(base, f"cfg{STRANGER}.xml").status_code == 404
    assert get(base, f"{STRANGER.upper()}.xml").status_code == 404


def test_secrets_never_reach_the_log(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    base, key = serve(office())
    for mac, path in ((HT813, f"cfg{HT813}.xml"), (T46U, f"{T46U}.cfg"), (HT813, "nope.cfg")):
        get(base, path, mac, key)
    httpx.get(f"{base}/cfg{HT813}.xml", auth=(HT813, "a-wrong-guess"), timeout=5)
    logged = caplog.text
    assert f"fetched cfg{HT813}.xml" in logged
    for secret in [
        *PASSWORDS.values(),
        "Line-Secret-1",
        device_secret(key, HT813),
        "a-wrong-guess",
    ]:
        assert secret not in logged


def test_a_device_naming_what_does_not_fit_is_refused_by_key() -> None:
    config = office(devices=[{"mac": HT813, "model": "ht813", "ports": ["102"]}])
    with pytest.raises(DeviceConfigError, match=r"ports: extension 102 is on port 1"):
        file_for(config, f"cfg{HT813}.xml")
    config = office(devices=[{"mac": SPA112, "model": "spa112", "line": "city"}])
    with pytest.raises(DeviceConfigError, match=r"line: 'city' must be a kind = 'fxo' trunk"):
        file_for(config, f"{SPA112}.xml")
