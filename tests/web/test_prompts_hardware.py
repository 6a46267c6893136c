"""Set-up pages for prompts (listen, upload with the format checked) and hardware (doors,
paging, SMDR, ESPA), through their routes."""

from __future__ import annotations

from firmware.config import load_config
from tests.support.web import WebBox, field_errors, form_fields, inputs, post_form, wav


def upload(client: object, name: str, filename: str, data: bytes) -> object:
    csrf = inputs(client.get("/setup/prompts").text)["csrf"]  # type: ignore[attr-defined]
    return client.post(  # type: ignore[attr-defined]
        "/setup/prompts/upload",
        data={"csrf": csrf, "name": name},
        files={"file": (filename, data, "audio/wav")},
    )


def test_a_prompt_is_replaced_by_a_playable_recording_and_can_be_listened_to(
    box: WebBox,
) -> None:
    admin = box.signed_in("admin")
    page = admin.get("/setup/prompts").text
    assert '<tr data-prompt="welcome"><td>welcome</td><td data-source>built-in</td>' in page
    built = admin.get("/setup/prompts/ru/welcome.wav")
    assert built.status_code == 200 and built.content[:4] == b"RIFF"
    recording = wav()
    done = upload(admin, "welcome", "welcome.wav", recording)
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    assert "Prompt welcome replaced" in done.text  # type: ignore[attr-defined]
    placed = box.home.custom_prompts / "ru" / "welcome.wav"
    assert placed.read_bytes() == recording
    assert admin.get("/setup/prompts/ru/welcome.wav").content == recording
    assert "<td>welcome</td><td data-source>recording</td>" in admin.get("/setup/prompts").text
    assert [p.name for p in placed.parent.iterdir()] == ["welcome.wav"], "no leftovers"


def test_an_unplayable_upload_is_refused_with_the_reason_and_changes_nothing(
    box: WebBox,
) -> None:
    admin = box.signed_in("admin")
    good = wav(hz=600)
    assert upload(admin, "welcome", "welcome.wav", good).status_code == 200  # type: ignore[attr-defined]
    placed = box.home.custom_prompts / "ru" / "welcome.wav"
    cases = {
        "hifi.wav": (
            wav(rate=44100, channels=2),
            "hifi.wav: stereo, 44.1 kHz; the box plays 8 kHz",
        ),
        "song.mp3": (b"ID3\x03" + bytes(200), "song.mp3: not a WAV file"),
    }
    for filename, (data, message) in cases.items():
        refused = upload(admin, "welcome", filename, data)
        assert refused.status_code == 422  # type: ignore[attr-defined]
        assert message in refused.text, refused.text  # type: ignore[attr-defined]
        assert "sox" in refused.text  # type: ignore[attr-defined]
        assert placed.read_bytes() == good
    bad_name = upload(admin, "../etc", "x.wav", good)
    assert "is not a prompt name" in bad_name.text  # type: ignore[attr-defined]
    assert sorted(p.name for p in placed.parent.iterdir()) == ["welcome.wav"]


def test_prompts_and_hardware_are_for_admins_only(box: WebBox) -> None:
    user = box.signed_in("102")
    for path in (
        "/setup/prompts",
        "/setup/prompts/ru/welcome.wav",
        "/setup/hardware",
        "/setup/trunks",
        "/setup/modes",
        "/setup/icm",
    ):
        assert user.get(path).status_code == 403, path
    assert upload(user, "welcome", "w.wav", wav()).status_code == 403  # type: ignore[attr-defined]
    assert not (box.home.custom_prompts / "ru" / "welcome.wav").exists()


def _form(client: object, form_id: str, path: str = "/setup/hardware") -> dict[str, str]:
    page = client.get(path).text  # type: ignore[attr-defined]
    return {k: v for k, v in form_fields(page, form_id).items() if k not in ("csrf", "version")}


def test_smdr_and_espa_settings_are_saved_and_bad_ones_refused(box: WebBox) -> None:
    admin = box.signed_in("admin")
    smdr = {**_form(admin, "smdr-form"), "enabled": "on", "baud": "19200", "page_length": "0"}
    saved = post_form(admin, "/setup/hardware", "/setup/hardware/smdr", smdr)
    assert saved.status_code == 200, saved.text
    config = load_config(box.home.config)
    assert config.smdr.enabled and config.smdr.baud == 19200 and config.smdr.page_length == 0
    assert "[smdr]\nbaud = 19200\nenabled = true\npage_length = 0\n" in box.config_text()

    espa = {**_form(admin, "espa-form"), "enabled": "on", "events_door_addresses": "101, 102"}
    assert post_form(admin, "/setup/hardware", "/setup/hardware/espa", espa).status_code == 200
    assert load_config(box.home.config).espa.events.door.addresses == ["101", "102"]

    before = box.config_text()
    cases = {
        "page_length": ({**smdr, "page_length": "3"}, "smdr: page_length must be 0 or at least"),
        "baud": ({**smdr, "baud": "1234"}, "'1234' is not one of 1200"),
    }
    for name, (data, message) in cases.items():
        page = post_form(admin, "/setup/hardware", "/setup/hardware/smdr", data)
        assert page.status_code == 422, name
        shown = [m for _, m in field_errors(page.text)] + [page.text]
        assert any(message in m for m in shown), (name, field_errors(page.text))
        assert box.config_text() == before
    assert ("events_door_priority", "Input should be less than or equal to 9") in field_errors(
        post_form(
            admin, "/setup/hardware", "/setup/hardware/espa", {**espa, "events_door_priority": "12"}
        ).text
    )


def test_a_door_and_a_paging_code_are_added_and_checked_against_the_board(box: WebBox) -> None:
    admin = box.signed_in("admin")
    door = {
        **_form(admin, "door-form"),
        "name": "front",
        "station": "105",
        "ring": "extension:100",
        "relay": "door1",
        "open_seconds": "4",
        "openers": "100",
        "direct_code": "*55",
    }
    wrong = post_form(admin, "/setup/hardware", "/setup/hardware/doors", {**door, "relay": "amp"})
    assert ("relay", "amp powers a paging amplifier") in field_errors(wrong.text)
    added = post_form(admin, "/setup/hardware", "/setup/hardware/doors", door)
    assert added.status_code == 200, added.text
    [front] = load_config(box.home.config).doors
    assert (front.relay, front.open_seconds, front.openers) == ("door1", 4, ["100"])
    assert str(front.ring) == "extension:100"

    paging = {**_form(admin, "paging-form"), "codes": "hall=*55"}
    clash = post_form(admin, "/setup/hardware", "/setup/hardware/paging", paging)
    assert clash.status_code == 422
    assert "paging.codes.hall: *55 is already doors[0].direct_code" in clash.text
    paging["codes"] = "hall=*56, yard=*57"
    assert post_form(admin, "/setup/hardware", "/setup/hardware/paging", paging).status_code == 200
    assert load_config(box.home.config).paging.codes == {"hall": "*56", "yard": "*57"}

    edited = {**_form(admin, "door-form", "/setup/hardware/doors/front"), "open_code": "7"}
    assert (
        post_form(
            admin, "/setup/hardware/doors/front", "/setup/hardware/doors/front", edited
        ).status_code
        == 200
    )
    assert load_config(box.home.config).doors[0].open_code == "7"
    gone = post_form(admin, "/setup/hardware/doors/front", "/setup/hardware/doors/front/delete", {})
    assert gone.status_code == 200 and load_config(box.home.config).doors == []
