"""Firmware of the mini-PBX: configuration, call engine, routing, storage and SIP edge."""
