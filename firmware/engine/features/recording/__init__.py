"""Call recording: both parties into one WAV, per [recording] or on demand by code."""
