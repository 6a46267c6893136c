"""A dialog-info document (RFC 4235) for one entity with one dialog, as a busy lamp reads it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

NAMESPACE = "urn:ietf:params:xml:ns:dialog-info"
CONTENT_TYPE = "application/dialog-info+xml"


def dialog_info(
    entity: str, *, dialog: str, state: str, version: int, remote: str | None = None
) -> str:
    """``state``: "confirmed" while something occupies the entity, "terminated" once it
    is free again; ``remote`` is who the dialog is with (a parked caller)."""
    root = ET.Element(
        "dialog-info",
        {"xmlns": NAMESPACE, "version": str(version), "state": "full", "entity": entity},
    )
    element = ET.SubElement(root, "dialog", {"id": dialog, "direction": "recipient"})
    ET.SubElement(element, "state").text = state
    if remote is not None:
        party = ET.SubElement(element, "remote")
        ET.SubElement(party, "identity").text = remote
    return ET.tostring(root, encoding="unicode", xml_declaration=True).replace("\n", "")


def busy_dialogs(document: str) -> list[str]:
    """The ids of the dialogs a dialog-info document shows as not yet terminated."""
    if not document.strip():
        return []
    root = ET.fromstring(document)
    ns = {"d": NAMESPACE}
    return [
        d.get("id", "")
        for d in root.findall("d:dialog", ns)
        if d.findtext("d:state", "", ns) != "terminated" and d.get("id")
    ]
