"""The hub's linkage model: weak keys never propose a pair, agreeing keys outweigh chance, IDs decide."""

import doctest
import importlib
import random

import numpy as np
import pytest

from hub.linkage import estimate, model


@pytest.mark.parametrize("name", ["hub.linkage.model", "hub.linkage.chains", "hub.records.clusters", "anonymise.matchkeys", "anonymise.names"])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    assert sum(len(test.examples) for test in doctest.DocTestFinder().find(module)) > 0  # run by --doctest-modules


def _population(n: int, seed: int) -> tuple[list[tuple[int, str, int]], set[tuple[int, int]], int, dict[str, np.ndarray]]:
    """n people, each recorded twice; the second record keeps each key with probability 0.7 and
    each coded field (gender, age band, nationality) with probability 0.95."""
    rng = random.Random(seed)
    rows: list[tuple[int, str, int]] = []
    truth = set()
    attributes = {name: np.zeros(2 * n, dtype=np.int64) for name in model.ATTRIBUTES}
    for person in range(n):
        for name, size in zip(model.ATTRIBUTES, (2, 9, 12), strict=True):
            value = rng.randrange(size)
            attributes[name][2 * person] = value
            attributes[name][2 * person + 1] = value if rng.random() < 0.95 else rng.randrange(size)
    strong = [k for k in model.KINDS if k in model.STRONG and k not in {"email", "passport", "pnc_id", "ukvi_reference"}]
    for person in range(n):
        a, b = 2 * person, 2 * person + 1
        truth.add((a, b))
        for kind in strong[:12]:
            value = rng.getrandbits(40)
            rows.append((a, kind, value))
            rows.append((b, kind, value if rng.random() < 0.7 else rng.getrandbits(40)))
        family = rng.randrange(n // 4)  # weak key shared by about four people
        rows += [(a, "metaphone_surname_yob", family), (b, "metaphone_surname_yob", family)]
    return rows, truth, 2 * n, attributes


def test_duplicates_link_and_weak_keys_alone_do_not() -> None:
    rows, truth, persons, attributes = _population(300, seed=4)
    result = model.link(model.Keys.from_rows(persons, rows, attributes), threshold=0.99)
    linked = {(int(a), int(b)) for a, b in zip(result.a, result.b, strict=True)}
    assert len(linked & truth) >= 0.97 * len(truth)
    assert linked <= truth  # the weak family key joins many people, never on its own
    assert all("metaphone_surname_yob" not in kinds or len(kinds) > 1 for kinds in result.kinds)


def test_disagreeing_id_numbers_outweigh_a_shared_name_key() -> None:
    rows, _, persons, attributes = _population(200, seed=5)
    # persons 0 and 2 (different people) share one name key but hold different NHS numbers
    rows += [(0, "canon_sorted_ym", 99), (2, "canon_sorted_ym", 99), (0, "nhs_number", 1), (2, "nhs_number", 2)]
    rows += [(2 * p + s, "nhs_number", 1000 + p) for p in range(2, 200) for s in (0, 1)]
    result = model.link(model.Keys.from_rows(persons, rows, attributes), threshold=0.99)
    assert (0, 2) not in {(int(a), int(b)) for a, b in zip(result.a, result.b, strict=True)}
    assert np.all(result.probability >= 0.99)


def test_a_date_part_level_is_never_likelier_than_namesakes_sharing_that_part() -> None:
    name_chance = 1 / 1460  # two people of bench/linkage.py share a full name about this often
    levels = list(estimate.DATE_PART_CHANCE.items())
    assert {"canon_sorted_ym", "canon_sorted_md", "canon_sorted_dob_digit"} <= {name for name, _ in levels}
    names = estimate.levels_of("name_dob")
    tiny = np.full(len(names) + 1, 1e-15)  # EM saw no non-match at any level
    capped = estimate._cap_chance("name_dob", tiny, name_chance)  # the cap itself is the rule under test
    for name, chance in levels:
        assert capped[names.index(name)] >= name_chance * chance * 0.999, name
    # a level without a date part keeps its 2^-(bits + 6) floor, far below the namesake chance
    assert capped[names.index("canon_sorted_dob")] < name_chance / 1e6


def test_a_model_stored_over_other_name_and_date_levels_is_refitted() -> None:
    rows, _, persons, attributes = _population(50, seed=6)
    fitted = model.link(model.Keys.from_rows(persons, rows, attributes), threshold=0.9).model
    stored = fitted.parameters()
    assert model.Model.from_parameters(stored) is not None
    # a model stored before a level was added (here: one level fewer) would score the wrong levels
    older = {**stored, "name_dob_levels": list(estimate.levels_of("name_dob"))[:-1]}
    assert model.Model.from_parameters(older) is None
    assert model.Model.from_parameters({k: v for k, v in stored.items() if k != "name_dob_levels"}) is None


def test_a_blank_name_record_is_proposed_only_where_it_is_not_ambiguous() -> None:
    """Persons 0 and 1: one person, full name; 2: a record of them with the given name blank (one
    token); 3 and 4: twins with their own given names; 5: a blank-name record sharing the surname and
    date of birth with both twins. 2 is proposed with 0 and 1; 5 with nobody (it could be either twin)."""
    rows = [(0, "canon_sorted_dob", 1), (1, "canon_sorted_dob", 1), (3, "canon_sorted_dob", 3), (4, "canon_sorted_dob", 4)]
    rows += [(p, "canon_sorted", 10 + p) for p in (0, 1, 3, 4)]  # a full name: the name-only key
    rows += [(p, "token_deletion_dob", 7) for p in (0, 1, 2)] + [(p, "token_deletion_dob", 8) for p in (3, 4, 5)]
    candidates, _ = model.block(model.Keys.from_rows(6, rows))
    pairs = {(int(a), int(b)) for a, b in zip(candidates.a, candidates.b, strict=True)}
    assert {(0, 2), (1, 2)} <= pairs
    assert not {(3, 5), (4, 5), (3, 4)} & pairs
    assert (0, 1) in pairs  # by their full-name key


def test_the_one_digit_level_is_split_by_the_date_part_the_pair_also_shares() -> None:
    """0-1 also share the year and month, 0-2 the birthday, 0-3 only the digit key (``19740430`` / ``19470430``)."""
    from hub.linkage.candidates import LEVELS, block, compare

    digit, ym, md = "canon_sorted_dob_digit", "canon_sorted_ym", "canon_sorted_md"
    rows = [(p, digit, 1) for p in range(4)] + [(0, ym, 2), (1, ym, 2), (0, md, 3), (2, md, 3), (3, ym, 4), (3, md, 5)]
    candidates, kinds = block(model.Keys.from_rows(4, rows))
    candidates = compare(candidates, kinds, {})
    level = {(int(a), int(b)): LEVELS[int(x)] for a, b, x in zip(candidates.a, candidates.b, candidates.levels[:, 0], strict=True)}
    assert level[0, 1] == "dob_digit_ym"
    assert level[0, 2] == "dob_digit_md"
    assert level[0, 3] == digit
    assert level[1, 2] == digit  # share the digit key, neither date part
