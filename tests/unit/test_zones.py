"""[paging] in pbx.toml and its routing: which code pages which zone, how urgently."""

from __future__ import annotations

import pytest

from firmware.config import ConfigError, parse_config
from firmware.routing.zones import PageZone, zone_page
from tests.unit.test_door import OFFICE

PAGING = """
[paging]
codes = { hall = "*61", yard = "*62" }
emergency_codes = { hall = "*69" }
park_zones = ["hall"]
"""


def test_a_paging_code_names_its_zone_and_urgency() -> None:
    config = parse_config(OFFICE + PAGING)
    assert zone_page(config, "*61") == PageZone("hall", "page")
    assert zone_page(config, "*69") == PageZone("hall", "emergency")
    assert zone_page(config, "*63") is None
    assert (config.paging.chime, config.paging.amp_lead) == (True, 1.0)


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        (
            'yard = "*62"',
            'lobby = "*62"',
            "paging.codes.lobby: the board has no audio zone 'lobby'",
        ),
        ('park_zones = ["hall"]', 'park_zones = ["roof"]', "paging.park_zones[0]: the board has"),
        ('yard = "*62"', 'yard = "*51"', "paging.codes.yard: *51 is already doors[0].direct_code"),
        (
            'hall = "*69"',
            'hall = "*61"',
            "paging.emergency_codes.hall: *61 is already paging.codes",
        ),
        ('yard = "*62"', 'yard = "62"', "paging.codes.yard: '62' does not match"),
    ],
)
def test_a_wrong_paging_key_is_refused_at_its_key(old: str, new: str, why: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(OFFICE + PAGING.replace(old, new), "pbx.toml")
    assert any(why in line for line in err.value.render().splitlines()), err.value.render()
