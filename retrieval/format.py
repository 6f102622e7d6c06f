"""Human-readable context, for `repofill context` and the LSP command repofill.showContext."""

from __future__ import annotations

from .priors import FLOOR
from .types import Context


def format_context(context: Context) -> str:
    lines = [
        f"# {len(context.snippets)} snippets, {context.used_tokens}/{context.budget} tokens,"
        f" selected in {context.elapsed_ms:.1f} ms"
    ]
    lines.extend(f"# note: {note}" for note in context.notes)
    for i, s in enumerate(context.snippets, 1):
        lines.append("")
        lines.append(
            f"## [{i}] source={s.source} type={s.context_type} path={s.path}"
            f" score={s.score:.3f} tokens={s.tokens}"
        )
        lines.append(
            f"# why: {s.source} ({s.context_type}) has prior {s.prior:.2f}; relevance to the"
            f" cursor {s.relevance:.2f}; score = prior × ({FLOOR} + {1 - FLOOR:.1f} × relevance)"
        )
        lines.append(s.text)
    return "\n".join(lines)
