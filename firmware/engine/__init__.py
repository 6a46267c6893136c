"""The call engine: pjsua2 anchors every call here. Only this package imports pjsua2."""
