from repofill.models.llama_backend import LlamaBackend, PieceIndex, heal_prefix, unheal
from repofill.models.types import InfillRequest


def test_heal_prefix_moves_the_partial_word_and_blanks_out_of_the_prompt() -> None:
    assert heal_prefix("x = ") == ("x =", " ")
    assert heal_prefix("    ") == ("", "    ")
    assert heal_prefix("foo(") == ("foo(", "")
    assert heal_prefix("    return fi") == ("    return", " fi")
    assert heal_prefix("self.na") == ("self.", "na")
    assert heal_prefix("a\n") == ("a\n", "")


def test_typing_one_word_keeps_the_prompt_identical() -> None:
    prompts = {heal_prefix("return " + "fibonacci"[:k])[0] for k in range(10)}
    assert prompts == {"return"}


def test_unheal_removes_what_the_buffer_already_has() -> None:
    assert unheal(" fibonacci(n)", " fi") == "bonacci(n)"
    assert unheal(" foo()", " ") == "foo()"
    assert unheal("        return x", "    ") == "    return x"
    assert unheal("foo()", " ") == "foo()"
    assert unheal("\nbar", " ") == "\nbar"


def test_piece_index_finds_tokens_that_agree_with_a_fragment() -> None:
    index = PieceIndex(
        [("a", 1), ("ab", 2), ("abc", 3), (" f", 4), (" fib", 5), ("x", 6), ("b", 7)]
    )
    assert set(index.consistent("ab").tolist()) == {1, 2, 3}
    assert set(index.consistent(" fi").tolist()) == {4, 5}
    assert index.consistent("zz").size == 0


def test_cut_at_stop_strings_and_line_limits() -> None:
    cut = LlamaBackend._cut
    one_line = InfillRequest(prefix="", suffix="", max_lines=1)
    assert cut("abc", one_line) is None
    assert cut("abc\ndef", one_line) == ("abc", "lines")
    assert cut("abc\r\ndef", one_line) == ("abc", "lines")
    assert cut("\nabc", one_line) == ("", "lines")
    three = InfillRequest(prefix="", suffix="", max_lines=3)
    assert cut("a\nb\nc", three) is None
    assert cut("a\nb\nc\nd", three) == ("a\nb\nc", "lines")
    stops = InfillRequest(prefix="", suffix="", max_lines=None, stop=("\n\n",))
    assert cut("a\nb\n\nc", stops) == ("a\nb", "stop")
