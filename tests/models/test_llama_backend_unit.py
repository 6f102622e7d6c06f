from repofill.models.llama_backend import LlamaBackend, heal_prefix, unheal
from repofill.models.types import InfillRequest


def test_heal_prefix_moves_trailing_blanks_out_of_the_prompt() -> None:
    assert heal_prefix("x = ") == ("x =", " ")
    assert heal_prefix("    ") == ("", "    ")
    assert heal_prefix("foo(") == ("foo(", "")


def test_unheal_removes_what_the_buffer_already_has() -> None:
    assert unheal(" foo()", " ") == "foo()"
    assert unheal("        return x", "    ") == "    return x"
    assert unheal("foo()", " ") == "foo()"
    assert unheal("\nbar", " ") == "\nbar"


def test_cut_at_stop_strings_and_line_limits() -> None:
    cut = LlamaBackend._cut
    one_line = InfillRequest(prefix="", suffix="", max_lines=1)
    assert cut("abc", one_line) is None
    assert cut("abc\ndef", one_line) == ("abc", "lines")
    assert cut("\nabc", one_line) == ("", "lines")
    three = InfillRequest(prefix="", suffix="", max_lines=3)
    assert cut("a\nb\nc", three) is None
    assert cut("a\nb\nc\nd", three) == ("a\nb\nc", "lines")
    stops = InfillRequest(prefix="", suffix="", max_lines=None, stop=("\n\n",))
    assert cut("a\nb\n\nc", stops) == ("a\nb", "stop")
