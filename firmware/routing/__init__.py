"""Pure call decisions: data in, decisions out. Nothing here imports pjsua2."""
