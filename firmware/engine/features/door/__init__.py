"""Doors: door station calls, the open code keyed in them, and direct opening by code."""
