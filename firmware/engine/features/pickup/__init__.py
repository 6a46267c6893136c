"""Call pickup by code: the group's ringing phone (``*8``) or a named extension's (``**102``)."""
