"""Pieces of pbx.toml the unit tests build their offices from."""

RECEPTION = """\
[[extensions]]
number = "100"
name = "Reception"
password = "Reception-Secret-1"
"""

IVAN = """\
[[extensions]]
number = "101"
name = "Ivan"
password = "Ivan-Secret-xyz"
"""

OLGA = """\
[[extensions]]
number = "102"
name = "Olga"
password = "Olga-Secret-xyz"
"""

CITY_TRUNK = """\
[[trunks]]
name = "city"
kind = "sip"
host = "sip.example.net"
username = "acc1"
password = "provider-secret"
"""
