"""Question answering: the ``Assistant`` API, answerers, citations, evaluation, the CLI."""
from ingest.lazy_exports import lazy_exports

_EXPORTS = {
    "Answer": ".answer",
    "Citation": ".answer",
    "Assistant": ".assistant",
    "Settings": ".settings",
    "SettingsError": ".settings",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
