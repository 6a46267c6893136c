"""Codes keyed during a call, for phones without feature keys: transfer and park."""
