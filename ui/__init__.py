"""The user interfaces: one FastAPI app with the Gradio chat page, the HTTP API and the widget."""
