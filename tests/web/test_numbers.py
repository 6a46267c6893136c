"""Set-up step 3 through its routes: scenarios as lists of steps, and numbers that run them."""

from __future__ import annotations

from firmware.config import load_config
from tests.support.web import WebBox, field_errors, inputs, post_form

SALES = {
    "name": "sales",
    "kind": ["dial", "voicemail"],
    "value": ["department:600", "600"],
    "ring": ["20", ""],
    "action": "save",
}


def test_a_scenario_is_made_of_steps_and_a_number_runs_it_by_day(box: WebBox) -> None:
    admin = box.signed_in("admin")
    page = post_form(admin, "/setup/scenarios/new", "/setup/scenarios/new", SALES)
    assert page.status_code == 200, page.text
    scenario = load_config(box.home.config).scenario("sales")
    assert scenario is not None
    assert [(s.kind, str(s.target or s.mailbox), s.ring_timeout) for s in scenario.steps] == [
        ("dial", "department:600", 20),
        ("voicemail", "600", None),
    ]
    page = post_form(
        admin,
        "/setup/numbers/0",
        "/setup/numbers/0",
        {
            "number": "+7 495 111-00-00",
            "trunk": "city",
            "routing": "scenarios",
            "mode_day": "sales",
            "mode_lunch": "lunch",
            "mode_night": "night",
        },
    )
    assert page.status_code == 200, page.text
    number = load_config(box.home.config).numbers[0]
    assert number.scenarios == {"day": "sales", "lunch": "lunch", "night": "night"}
    text = box.config_text()
    assert "# the office number" in text
    assert "# good morning / day / evening by the clock" in text


def test_moving_a_step_rearranges_the_form_and_saves_nothing_until_asked(box: WebBox) -> None:
    admin = box.signed_in("admin")
    before = box.config_text()
    hidden = inputs(admin.get("/setup/scenarios/lunch").text)
    form = {
        "csrf": hidden["csrf"],
        "version": hidden["version"],
        "kind": ["greeting", "dial", "voicemail"],
        "value": ["", "extension:100", "100"],
        "ring": ["", "20", ""],
    }
    moved = admin.post("/setup/scenarios/lunch", data={**form, "action": "down:0"})
    assert moved.status_code == 200
    assert box.config_text() == before
    assert moved.text.index('value="extension:100"') < moved.text.index('value="100"')
    assert moved.text.index('<option value="dial" selected') < moved.text.index(
        '<option value="greeting" selected'
    )
    saved = admin.post(
        "/setup/scenarios/lunch",
        data={
            **form,
            "kind": ["dial", "greeting", "voicemail"],
            "value": ["extension:100", "", "100"],
            "ring": ["20", "", ""],
            "action": "save",
        },
    )
    assert saved.status_code == 200, saved.text
    lunch = load_config(box.home.config).scenario("lunch")
    assert lunch is not None and [s.kind for s in lunch.steps] == ["dial", "greeting", "voicemail"]


def test_bad_steps_are_shown_on_their_row_and_change_nothing(box: WebBox) -> None:
    admin = box.signed_in("admin")
    before = box.config_text()
    cases = [
        ({**SALES, "value": ["department:699", "600"]}, "step0", "no department 699"),
        ({**SALES, "ring": ["20", "soon"]}, "step1", "'soon' is not a number of seconds"),
        (
            {**SALES, "kind": ["dial", "forward"], "value": ["department:600", "abc"]},
            "step1",
            "letters are not allowed",
        ),
        ({**SALES, "name": "Sales Day"}, "name", "does not match"),
        ({**SALES, "name": "day"}, "name", "day is already scenarios[0]"),
    ]
    for data, row, message in cases:
        page = post_form(admin, "/setup/scenarios/new", "/setup/scenarios/new", data)
        assert page.status_code == 422, message
        assert any(f == row and message in m for f, m in field_errors(page.text)), (
            message,
            field_errors(page.text),
            page.text[-3000:],
        )
        assert box.config_text() == before


def test_a_number_to_a_missing_extension_is_refused_next_to_the_field(box: WebBox) -> None:
    admin = box.signed_in("admin")
    before = box.config_text()
    page = post_form(
        admin,
        "/setup/numbers/0",
        "/setup/numbers/0",
        {
            "number": "+7 495 111-00-00",
            "trunk": "city",
            "routing": "destination",
            "destination": "199",
        },
    )
    assert page.status_code == 422
    assert ("destination", "no extension 199") in field_errors(page.text)
    assert box.config_text() == before


def test_a_steps_comment_moves_with_the_step(box: WebBox) -> None:
    admin = box.signed_in("admin")
    page = post_form(
        admin,
        "/setup/scenarios/day",
        "/setup/scenarios/day",
        {
            "kind": ["icm", "greeting", "menu", "queue", "voicemail"],
            "value": ["", "", "main", "600", "100"],
            "ring": ["", "", "", "", ""],
            "action": "save",
        },
    )
    assert page.status_code == 200, page.text
    lines = box.config_text().splitlines()
    icm = next(line for line in lines if '{kind = "icm"}' in line)
    greeting = next(line for line in lines if '{kind = "greeting"}' in line and "clock" in line)
    assert icm.endswith("# a returning customer rings their manager first")
    assert lines.index(icm) + 1 == lines.index(greeting)
    day = load_config(box.home.config).scenario("day")
    assert day is not None and [s.kind for s in day.steps][:2] == ["icm", "greeting"]
