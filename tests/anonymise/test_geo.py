"""Postcode lookup in the ONS layout, points to H3 cells, and adaptive coarsening of sparse cells."""

from collections import Counter
from pathlib import Path

import h3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise.geo import PostcodeLookup, coarsen_cells, normalise_postcode, to_cell

ONS = (
    "pcd,pcd2,pcds,dointr,doterm,oslaua,osward,pfa,lat,long\n"
    "E347RW,E34  7RW,E34 7RW,202401,,E09000025,,E23000001,51.525500,0.035200\n"
    "EC326BT,EC32 6BT,EC32 6BT,202401,,E09000001,,E23000034,51.520586,-0.099572\n"
    "ZZ1 1ZZ,ZZ1  1ZZ,ZZ1 1ZZ,202401,,,,,99.999999,0.000000\n"
)
POINTS = st.tuples(st.floats(51.3, 51.7), st.floats(-0.5, 0.3))


def test_ons_layout_is_read_and_postcodes_match_in_any_case_and_spacing(tmp_path: Path) -> None:
    path = tmp_path / "onspd.csv"
    path.write_text("\ufeff" + ONS, encoding="utf-8")
    lookup = PostcodeLookup.from_csv(path)
    assert len(lookup) == 2  # the row without a grid reference is skipped
    for spelling in ("E34 7RW", "e347rw", " E34  7rw ", "e34 7RW"):
        record = lookup.lookup(spelling)
        assert record is not None
        assert (record.lat, record.lon) == (51.5255, 0.0352)
        assert record.la_gss_code == "E09000025"
        assert record.police_force_area == "E23000001"
    assert lookup.lookup("EC32 6BT").police_force_area == "E23000034"  # type: ignore[union-attr]
    assert lookup.lookup("E34 7RX") is None
    assert lookup.lookup("not a postcode") is None
    assert "e34 7rw" in lookup


def test_upper_case_headers_and_extra_columns_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "lookup.csv"
    path.write_text("Extra,PCDS,LAT,LONG,OSLAUA,PFA,More\nx,SE34 1AB,51.47,-0.07,E09000028,E23000001,y\n", encoding="utf-8")
    record = PostcodeLookup.from_csv(path).lookup("se341ab")
    assert record is not None
    assert record.la_gss_code == "E09000028"


def test_missing_columns_are_named_and_no_value_is_echoed(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("postcode_secret,lat\nE34 7RW,51.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="pcds") as error:
        PostcodeLookup.from_csv(path)
    assert "E34 7RW" not in str(error.value)


def test_bad_codes_in_the_lookup_become_none(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("pcds,lat,long,oslaua,pfa\nE34 7RW,51.5,0.03,,junk\nE34 7RA,north,0.03,E09000025,\n", encoding="utf-8")
    lookup = PostcodeLookup.from_csv(path)
    record = lookup.lookup("E34 7RW")
    assert record is not None
    assert (record.la_gss_code, record.police_force_area) == (None, None)
    assert lookup.lookup("E34 7RA") is None


@pytest.mark.parametrize(("text", "expected"), [("sw1a1aa", "SW1A 1AA"), ("M1 1AE", "M1 1AE"), ("B33 8TH", "B33 8TH"),
                                                 ("CR2 6XH", "CR2 6XH"), ("DN55 1PT", "DN55 1PT"), ("12345", None), ("", None)])
def test_normalise_postcode(text: str, expected: str | None) -> None:
    assert normalise_postcode(text) == expected


@given(point=POINTS, resolution=st.integers(0, 8))
def test_to_cell_contains_the_point_at_the_resolution(point: tuple[float, float], resolution: int) -> None:
    cell = to_cell(*point, resolution)
    assert h3.get_resolution(cell) == resolution
    assert cell == h3.latlng_to_cell(*point, resolution)


@pytest.mark.parametrize("resolution", [9, 10, 15, -1])
def test_resolution_finer_than_eight_is_refused(resolution: int) -> None:
    with pytest.raises(ValueError, match="between 0 and 8"):
        to_cell(51.5, -0.1, resolution)


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 0.0), (0.0, 181.0), (float("nan"), 0.0)])
def test_impossible_points_are_refused(lat: float, lon: float) -> None:
    with pytest.raises(ValueError, match="out of range"):
        to_cell(lat, lon, 7)


def test_dense_cells_stay_sparse_cells_climb_and_lonely_cells_are_dropped() -> None:
    dense = to_cell(51.5255, 0.0352, 8)
    parent = h3.cell_to_parent(dense, 7)
    first, second = [c for c in h3.cell_to_children(parent, 8) if c != dense][:2]
    far = to_cell(51.40, -0.45, 8)
    cells = [dense] * 4 + [first] * 2 + [second] + [far] + [None]
    result, report = coarsen_cells(cells, min_count=3, floor_resolution=5)
    assert result[:4] == [dense] * 4  # dense enough: stays as fine as it came
    assert result[4:7] == [parent] * 3  # two sparse siblings pool in their parent
    assert result[7] is None  # alone even at the floor: borough only
    assert result[8] is None
    assert (report.kept, report.coarsened, report.dropped, report.missing) == (4, 3, 1, 1)
    assert report.incidents == 9
    assert report.by_resolution == {8: 4, 7: 3}
    lonely, lonely_report = coarsen_cells([first, first, dense], min_count=3, floor_resolution=7)
    assert lonely == [parent] * 3
    assert lonely_report.coarsened == 3


def test_invalid_input_is_refused_by_position() -> None:
    with pytest.raises(ValueError, match="item 1"):
        coarsen_cells([to_cell(51.5, 0.0, 8), "secret-not-a-cell"], min_count=2)
    with pytest.raises(ValueError, match="min_count"):
        coarsen_cells([], min_count=0)


@settings(max_examples=60, deadline=None)
@given(points=st.lists(POINTS, max_size=80), min_count=st.integers(1, 8), floor=st.integers(3, 7),
       resolution=st.integers(7, 8))
def test_every_cell_left_holds_at_least_min_count(
    points: list[tuple[float, float]], min_count: int, floor: int, resolution: int
) -> None:
    cells: list[str | None] = [to_cell(lat, lon, resolution) for lat, lon in points]
    result, report = coarsen_cells(cells, min_count=min_count, floor_resolution=floor)
    counts = Counter(c for c in result if c is not None)
    assert all(n >= min_count for n in counts.values())
    for before, after in zip(cells, result, strict=True):
        if after is not None:
            assert before is not None
            assert floor <= h3.get_resolution(after) <= h3.get_resolution(before)
            assert h3.cell_to_parent(before, h3.get_resolution(after)) == after
    assert report.kept + report.coarsened + report.dropped + report.missing == len(cells)
