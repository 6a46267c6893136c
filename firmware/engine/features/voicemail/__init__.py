"""Voicemail: leaving a message, and a mailbox over the phone."""
