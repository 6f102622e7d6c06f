"""Post-processing of model suggestions: an ordered list of small, pure filters (pipeline.py).

See docs/reliability.md, "Post-processing", for the list. `decide_multiline` chooses single- or
multi-line.
"""

from .context import PostContext
from .multiline import decide_multiline
from .pipeline import FILTERS, Filter, Outcome, explain, postprocess

__all__ = [
    "FILTERS",
    "Filter",
    "Outcome",
    "PostContext",
    "decide_multiline",
    "explain",
    "postprocess",
]
