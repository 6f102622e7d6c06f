"""The exit deadline: after LSP `exit` the process ends even when a thread will not."""

from __future__ import annotations

import threading

from repofill.lsp.lifecycle import exit_after


def test_exit_after_ends_the_process_with_the_code_at_that_moment() -> None:
    ended: list[int] = []
    fired = threading.Event()
    code = [1]

    def fake_exit(status: int) -> None:
        ended.append(status)
        fired.set()

    exit_after(0.2, lambda: code[0], exit_process=fake_exit)
    code[0] = 0  # `shutdown` seen after the timer was armed: the code is read when it fires
    assert not fired.wait(0.05), "the process must get its time to end by itself"
    assert fired.wait(5)
    assert ended == [0]


def test_exit_after_is_a_daemon_that_can_be_cancelled() -> None:
    ended: list[int] = []
    timer = exit_after(0.1, lambda: 0, exit_process=ended.append)
    assert timer.daemon, "a timer that is not a daemon would itself keep the process alive"
    timer.cancel()
    timer.join(2)
    assert ended == []
