"""Hold from the phone: a party's hold key (a re-INVITE with a=sendonly or inactive) puts
the other party on music on hold until the holder resumes."""
