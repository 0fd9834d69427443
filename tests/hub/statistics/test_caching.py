"""The per-process caches of the statistics are bounded: the least recently used entry goes first."""

import pytest

from hub.statistics import access
from hub.statistics.caching import BoundedCache


def test_the_cache_never_holds_more_than_its_size() -> None:
    cache: BoundedCache[int, str] = BoundedCache(3)
    for i in range(10):
        cache.put(i, str(i))
    assert len(cache) == 3
    assert [cache.get(i) for i in range(10)] == [None] * 7 + ["7", "8", "9"]


def test_a_read_keeps_an_entry_longer() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now b is the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_an_empty_cache_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        BoundedCache(0)


def test_the_parsed_agreements_are_bounded() -> None:
    assert access._PARSED.size == access.PARSED_KEPT
