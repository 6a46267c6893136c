"""SQLite storage: schema migrations, call records and the engine's heartbeat."""
