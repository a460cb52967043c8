"""The user interfaces: the chat web app (and, later, the HTTP API and the widget)."""
