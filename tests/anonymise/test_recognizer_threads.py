"""Recognizers used from several threads at once: two uploads scrubbed in one hub process."""

import threading

from anonymise.recognizers.base import Pattern, RecognizerSpec

THREADS = 8


def _spec() -> RecognizerSpec:
    patterns = tuple(Pattern(f"p{i}", rf"(?:ref|no)\s*{i:03d}-[A-Z]{{2}}\d{{2,4}}", 0.5) for i in range(300))
    return RecognizerSpec("ID_NUMBER", patterns)


def test_a_recognizer_first_used_by_many_threads_at_once_compiles_once_and_finds_the_same() -> None:
    text = "see ref 007-AB123 and no 123-CD45 in the log"
    expected = [(s.start, s.end) for s in _spec().find(text)]
    assert expected  # the text has matches to find
    spec = _spec()
    barrier = threading.Barrier(THREADS)
    found: list[list[tuple[int, int]] | BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            found.append([(s.start, s.end) for s in spec.find(text)])
        except BaseException as exc:  # the test reports what a thread raised
            found.append(exc)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [expected] * THREADS
    assert len(spec.compiled()) == len(spec.patterns)
