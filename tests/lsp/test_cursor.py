import pytest
from repofill.lsp.cursor import ANCHOR_LINES, line_col_to_offset, windows


def test_line_col_to_offset_and_errors() -> None:
    text = "ab\ncd\r\nef"
    assert line_col_to_offset(text, 0, 0) == 0
    assert line_col_to_offset(text, 1, 2) == 5
    assert line_col_to_offset(text, 2, 2) == len(text)
    with pytest.raises(ValueError, match="outside"):
        line_col_to_offset(text, 3, 0)
    with pytest.raises(ValueError, match="past the end"):
        line_col_to_offset(text, 0, 3)


def test_prefix_window_start_is_anchored_while_typing() -> None:
    text = "".join(f"line {i}\n" for i in range(300))
    offset = text.index("line 200")
    starts = set()
    for typed in range(8):
        cur = text[:offset] + "x" * typed + text[offset:]
        w = windows(cur, offset + typed, prefix_lines=64, suffix_lines=10, max_chars=100_000)
        starts.add(w.prefix_start_line)
        assert w.prefix.endswith("x" * typed)
    assert len(starts) == 1
    (start,) = starts
    assert start % ANCHOR_LINES == 0 and 200 - 64 - ANCHOR_LINES < start <= 200 - 64


def test_suffix_is_bounded_in_lines_and_chars() -> None:
    text = "a\n" * 100
    w = windows(text, 10, prefix_lines=8, suffix_lines=5, max_chars=1000)
    assert w.suffix.count("\n") == 5
    long_line = "x" * 10_000
    w = windows(long_line, 5000, prefix_lines=8, suffix_lines=5, max_chars=1000)
    assert len(w.prefix) <= 1000 and len(w.suffix) <= 500
