"""Question answering: the ``Assistant`` API, answerers, citations, evaluation, the CLI."""
from .answer import Answer, Citation
from .assistant import Assistant
from .settings import Settings, SettingsError

__all__ = ["Answer", "Assistant", "Citation", "Settings", "SettingsError"]
