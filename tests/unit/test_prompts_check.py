"""Missing prompts are found by config check, with the line that names them."""

from __future__ import annotations

from pathlib import Path

from firmware.config import parse_config
from firmware.prompts import BUILT_DIR
from firmware.prompts.check import prompt_problems
from firmware.prompts.library import PromptLibrary
from tests.unit.test_config import GOOD

MENU = (
    GOOD
    + """
[[menus]]
name = "main"
prompt = "our_own_welcome"

[[scenarios]]
name = "day"
steps = [{ kind = "menu", menu = "main" }]

[[scenarios.steps]]
kind = "greeting"
prompt = "opening_hours"
"""
)


def test_prompts_named_but_absent_are_problems_with_lines(tmp_path: Path) -> None:
    text = MENU.replace('steps = [{ kind = "menu", menu = "main" }]\n', "")
    config = parse_config(text)
    found = prompt_problems(config, PromptLibrary(BUILT_DIR, tmp_path / "custom"), text)
    rendered = [p.render("pbx.toml") for p in found]
    assert rendered == [
        "pbx.toml:13: menus[0].prompt: prompt 'our_own_welcome' has no file in ru",
        "pbx.toml:20: scenarios[0].steps[0].prompt: prompt 'opening_hours' has no file in ru",
    ]


def test_an_installers_recording_satisfies_the_check(tmp_path: Path) -> None:
    text = MENU.replace('steps = [{ kind = "menu", menu = "main" }]\n', "")
    custom = tmp_path / "custom" / "ru"
    custom.mkdir(parents=True)
    for name in ("our_own_welcome", "opening_hours"):
        (custom / f"{name}.wav").write_bytes((BUILT_DIR / "ru" / "welcome.wav").read_bytes())
    config = parse_config(text)
    assert prompt_problems(config, PromptLibrary(BUILT_DIR, tmp_path / "custom"), text) == []


def test_unbuilt_prompts_are_one_clear_problem(tmp_path: Path) -> None:
    config = parse_config(GOOD)
    [problem] = prompt_problems(config, PromptLibrary(tmp_path / "nothing"), GOOD)
    assert problem.render("pbx.toml") == (
        "pbx.toml: system.language: the built-in ru prompts are not built: ./build.sh"
    )
