"""The engine's features, one folder each with the same few files.

``service.py`` is what the feature does and what it needs, passed in;
``states.py`` the call states it adds. ``firmware.engine.engine`` wires them.
"""
