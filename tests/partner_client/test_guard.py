"""The name guard: capitalised words nobody vouches for are replaced; places, codes and placeholders stay."""

from hypothesis import given
from hypothesis import strategies as st

from partner_client.guard import NameGuard, vocabulary


def test_unvouched_names_go_and_vouched_words_stay() -> None:
    notes = [
        "<PERSON_1> met Blerta in Lewisham. Jayden drives the van; Blerta's phone was taken.",
        "The police were told about the car wash and the money.",
    ]
    guard = NameGuard(vocabulary(notes))
    out = guard(notes[0])
    assert "Blerta" not in out
    assert "Jayden" not in out
    assert out.startswith("<PERSON_1> met <UNKNOWN_1> in Lewisham. <UNKNOWN_2> drives")
    assert "<UNKNOWN_1>'s phone" in out
    assert guard(notes[1]) == notes[1]
    assert guard.replaced["capitalised_word"] == 3


@given(st.from_regex(r"[A-Z][a-z]{5,12}", fullmatch=True))
def test_a_capitalised_word_never_written_in_lower_case_does_not_survive(name: str) -> None:
    guard = NameGuard(vocabulary(["nothing here mentions it"]))
    out = guard(f"Seen with {name} at the NRM office.")
    if name.lower() not in guard.ordinary:
        assert name not in out
    assert "NRM" in out
