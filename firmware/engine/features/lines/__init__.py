"""The box's outside lines: SIP trunks registered through Kamailio and analog lines on
adapters, each up or down, with its channels busy or free."""
