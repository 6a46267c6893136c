"""The front panel: its mode button forces the mode; its LEDs follow the mode and trunks."""
