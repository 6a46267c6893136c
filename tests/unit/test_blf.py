"""The dialog-info documents the engine publishes for park slots (RFC 4235)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from firmware.engine.features.blf.document import NAMESPACE, busy_dialogs, dialog_info

NS = {"d": NAMESPACE}


def test_a_busy_slot_is_one_confirmed_dialog_with_the_waiting_caller() -> None:
    text = dialog_info(
        "sip:*73@pbx.test", dialog="park-3-a", state="confirmed", version=4, remote="sip:101@x"
    )
    root = ET.fromstring(text)
    assert root.tag == f"{{{NAMESPACE}}}dialog-info"
    assert (root.get("entity"), root.get("state"), root.get("version")) == (
        "sip:*73@pbx.test",
        "full",
        "4",
    )
    [dialog] = root.findall("d:dialog", NS)
    assert (dialog.get("id"), dialog.findtext("d:state", "", NS)) == ("park-3-a", "confirmed")
    assert dialog.findtext("d:remote/d:identity", "", NS) == "sip:101@x"
    assert "\n" not in text  # one line, as pua's RPC takes a body


def test_busy_dialogs_are_those_not_terminated() -> None:
    busy = dialog_info("sip:*71@p", dialog="a", state="confirmed", version=1)
    over = dialog_info("sip:*71@p", dialog="b", state="terminated", version=2)
    assert busy_dialogs(busy) == ["a"]
    assert busy_dialogs(over) == []
    assert busy_dialogs("") == []
