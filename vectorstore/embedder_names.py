"""The embedders' spec names, apart from the embedders themselves so that reading the
settings imports no model code."""
E5_SMALL = "e5-small"
E5_SMALL_Q4 = "e5-small-q4"
E5_SMALL_INT8 = "e5-small-int8"
DEFAULT_EMBEDDER = E5_SMALL
