"""Missing prompts found at config check, not by a caller who hears silence.

Every prompt a menu or greeting names, and every prompt the box itself plays
(busy lines, queues, voicemail), must have a playable file in the box's
language: an installer's recording or the built-in one.
"""

from __future__ import annotations

from firmware.config import Config, Problem
from firmware.config.errors import format_path, locate_line
from firmware.prompts import prompt_names
from firmware.prompts.library import PromptLibrary

#: A greeting step without a prompt, or with this one, says good morning/day/evening.
TIME_OF_DAY = ("time_of_day", None)


def prompt_problems(config: Config, library: PromptLibrary, text: str = "") -> list[Problem]:
    """``text`` is the file's, so each problem can name its line."""
    lang = config.system.language
    named: list[tuple[tuple[str | int, ...], str]] = [
        (("menus", i, "prompt"), menu.prompt) for i, menu in enumerate(config.menus)
    ]
    for i, scenario in enumerate(config.scenarios):
        for j, step in enumerate(scenario.steps):
            if step.kind == "greeting" and step.prompt not in TIME_OF_DAY:
                named.append((("scenarios", i, "steps", j, "prompt"), step.prompt or ""))
    problems = [
        Problem(
            format_path(path), f"prompt {name!r} has no file in {lang}", locate_line(text, path)
        )
        for path, name in named
        if library.missing([name], lang)
    ]
    absent = library.missing(prompt_names(), lang)
    if absent and not (library.built / lang).is_dir():
        problems.append(
            Problem("system.language", f"the built-in {lang} prompts are not built: ./build.sh")
        )
    elif absent:
        problems.append(
            Problem("system.language", f"built-in prompts missing in {lang}: {', '.join(absent)}")
        )
    problems += [Problem("(custom prompts)", found) for found in library.problems()]
    return problems
