"""Codes keyed during a call, for phones without feature keys: transfer, park, add a party."""
