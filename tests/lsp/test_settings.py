from repofill.lsp.settings import Settings


def test_defaults_then_merge_of_nested_section() -> None:
    s = Settings().merged(
        {"repofill": {"maxLines": 3, "multiline": "never", "languages": ["python"]}}
    )
    assert (s.maxLines, s.multiline, s.languages) == (3, "never", ("python",))
    assert s.enabled is True


def test_bad_values_keep_defaults() -> None:
    s = Settings().merged(
        {"maxLines": "ten", "multiline": "sometimes", "enabled": "yes", "deadlineMs": -5}
    )
    assert s == Settings()


def test_unknown_keys_and_non_dicts_are_ignored() -> None:
    assert Settings().merged({"colour": "blue"}) == Settings()
    assert Settings().merged(None) == Settings()


def test_language_filter() -> None:
    assert Settings().language_enabled("go")
    s = Settings().merged({"languages": ["python"]})
    assert s.language_enabled("python") and not s.language_enabled("go")


def test_threads_is_auto_or_a_positive_number() -> None:
    assert Settings().threads == "auto"
    assert Settings().merged({"threads": 3}).threads == "3"
    assert Settings().merged({"threads": "2"}).threads == "2"
    assert Settings().merged({"threads": "4"}).merged({"threads": "auto"}).threads == "auto"
    for bad in (0, -1, "many", True, 1.5):
        assert Settings().merged({"threads": bad}).threads == "auto"
