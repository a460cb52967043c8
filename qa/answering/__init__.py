"""The extractive answer's parts, below ``qa/extractive.py`` (the answerer that applies them):

- ``kinds.py``: what a question asks for (a quantity of a named attribute, a date, a person, a
  place) and what a sentence states, in Arabic, English and French alike;
- ``sentences.py``: which indexed lines are sentences (not titles, bylines, datelines, captions);
- ``features.py``: the rows the fitted models read (``SENTENCE_FEATURES``, ``EVIDENCE_FEATURES``,
  ``CLAUSE_FEATURES``).
"""
