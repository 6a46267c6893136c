"""The box's web UI: set-up, reports, the operator console and self-service, served by FastAPI.

Pages are rendered on the server (Jinja2) and made live with htmx; the UI
talks to the engine through its control socket and to pbx.toml through the
same validation as ``minipbx config check``.
"""
