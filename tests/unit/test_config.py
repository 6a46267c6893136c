"""pbx.toml: a good file loads, a bad one is refused whole with the line, key and reason."""

from __future__ import annotations

import pytest

from firmware.config import ConfigError, parse_config
from firmware.config.sample import sample_office

GOOD = """\
[system]
sip_domain = "pbx.local"
region = "RU"
area_code = "495"

[[extensions]]
number = "101"
name = "Ivan"
password = "Ivan-Secret-xyz"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "pbx.toml")
    return err.value.render().splitlines()


def test_good_file_loads_with_defaults() -> None:
    config = parse_config(GOOD)
    assert config.system.timezone == "Europe/Moscow"
    assert config.calls.ring_timeout == 30
    assert config.network.sip_address == "127.0.0.1"
    assert config.extension("101").name == "Ivan"
    assert config.extension("999") is None


def test_sample_office_is_valid_with_unique_strong_passwords() -> None:
    first, second = parse_config(sample_office()), parse_config(sample_office())
    assert [e.number for e in first.extensions] == ["100", "101", "102", "103", "104", "105"]
    assert first.extensions[0].role == "admin"
    assert (first.system.region, first.system.area_code) == ("RU", "495")
    passwords = {e.password for e in first.extensions} | {e.password for e in second.extensions}
    assert len(passwords) == 12
    assert all(len(p) >= 16 for p in passwords)


def test_weak_password_named_with_line_and_key() -> None:
    text = GOOD.replace("Ivan-Secret-xyz", "12345")
    assert problems(text) == ["pbx.toml:9: extensions[0].password: must be at least 10 characters"]


@pytest.mark.parametrize("weak", ["1234567890123", "qwertyuiop", "pass101word"])
def test_guessable_passwords_refused(weak: str) -> None:
    [problem] = problems(GOOD.replace("Ivan-Secret-xyz", weak))
    assert "extensions[0].password: too easy to guess" in problem


def test_typo_in_a_key_is_an_unknown_key() -> None:
    text = GOOD.replace("password =", "pasword =")
    assert problems(text) == [
        "pbx.toml:6: extensions[0].password: required key is missing",
        "pbx.toml:9: extensions[0].pasword: unknown key (see docs/config.md for the keys "
        "this section takes)",
    ]


def test_duplicate_extension_points_at_the_second() -> None:
    text = GOOD + '\n[[extensions]]\nnumber = "101"\nname = "Dup"\npassword = "Other-Pass-999x"\n'
    assert problems(text) == ["pbx.toml:12: extensions[1].number: 101 is already extensions[0]"]


def test_syntax_error_gives_line_and_column() -> None:
    [problem] = problems('[system]\nsip_domain = "pbx.local\n')
    assert problem.startswith("pbx.toml:2: (syntax): ")


def test_every_problem_is_reported_at_once() -> None:
    text = GOOD.replace('region = "RU"', 'region = "XX"').replace('"101"', '"1"')
    found = problems(text)
    assert any("system.region: no tone plan for region 'XX'" in p for p in found)
    assert any("extensions[0].number" in p for p in found)


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (('timezone = "Europe/Moscow"', 'timezone = "Mars/Olympus"'), "system.timezone"),
        (('sip_domain = "pbx.local"', 'sip_domain = "bad domain!"'), "system.sip_domain"),
    ],
)
def test_system_values_are_checked(edit: tuple[str, str], key: str) -> None:
    text = GOOD.replace('area_code = "495"', 'area_code = "495"\ntimezone = "Europe/Moscow"')
    [problem] = problems(text.replace(*edit))
    assert f": {key}: " in problem


def test_network_ports_must_not_collide() -> None:
    text = GOOD + "\n[network]\nsip_port = 5070\nengine_port = 5070\n"
    [problem] = problems(text)
    assert "network: " in problem and "must differ" in problem


def test_a_hold_recall_before_its_reminder_is_refused() -> None:
    assert problems(GOOD + "\n[hold]\nremind_after = 60\nrecall_after = 30\n") == [
        "pbx.toml:11: hold: recall_after comes after remind_after (or set one of them to 0)"
    ]
    assert (
        parse_config(GOOD + "\n[hold]\nremind_after = 0\nrecall_after = 30\n").hold.remind_after
        == 0
    )


def test_a_conference_room_needs_a_number_of_its_own() -> None:
    rooms = '\n[[conferences]]\nnumber = "101"\nname = "Taken"\n'
    for name in ("A", "B"):
        rooms += f'\n[[conferences]]\nnumber = "800"\nname = "{name}"\n'
    assert problems(GOOD + rooms) == [
        "pbx.toml:12: conferences[0].number: 101 is an extension",
        "pbx.toml:20: conferences[2].number: 800 is another conference room",
    ]


def test_a_park_announced_to_an_unknown_extension_is_refused() -> None:
    assert problems(GOOD + '\n[park]\nannounce_to = ["101", "555"]\n') == [
        "pbx.toml:12: park.announce_to[1]: no extension 555"
    ]


@pytest.mark.parametrize(
    ("section", "key"),
    [("network", "sip_address"), ("web", "address"), ("provisioning", "listen")],
)
def test_a_listen_address_that_is_a_name_is_refused_with_its_key(section: str, key: str) -> None:
    [problem] = problems(GOOD + f'\n[{section}]\n{key} = "pbx.local"\n')
    assert problem.endswith(f"{section}.{key}: 'pbx.local' is not an IP address")
