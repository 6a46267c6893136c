"""The SIP edge: Kamailio's config, its subscriber database and its process."""
