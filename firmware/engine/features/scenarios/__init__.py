"""Scenarios: an inbound call walking its number's steps."""
