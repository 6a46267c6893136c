"""Paging: an announcement to phones that answer by themselves (intercom auto-answer)."""
