"""BLF: busy-lamp keys for park slots, published by the engine through Kamailio."""
