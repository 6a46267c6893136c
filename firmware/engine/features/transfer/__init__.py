"""Blind transfer from the phone's transfer key (REFER): the transferee waits with ringback
while the target rings; a target that does not answer rings the transferor back."""
