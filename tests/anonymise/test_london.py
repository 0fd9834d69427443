"""London's 33 local authorities, point lookup and the approximate outlines for the hotspot map."""

import h3
import pytest

from anonymise.london import (
    BOROUGHS,
    BY_GSS,
    borough_cells,
    borough_for_point,
    borough_outlines,
    police_force_for,
)


def test_the_33_authorities_have_their_gss_codes() -> None:
    assert [b.gss for b in BOROUGHS] == [f"E09{n:06d}" for n in range(1, 34)]
    assert BY_GSS["E09000030"].name == "Tower Hamlets"
    assert BY_GSS["E09000001"].name == "City of London"
    assert len({b.name for b in BOROUGHS}) == 33


@pytest.mark.parametrize(
    ("lat", "lon", "gss"),
    [(51.5390, 0.0500, "E09000025"),  # Stratford, Newham
     (51.3762, -0.0982, "E09000008"),  # Croydon town centre
     (51.5154, -0.0920, "E09000001"),  # Bank, City of London
     (51.4613, -0.1156, "E09000022"),  # Brixton, Lambeth
     (51.5560, -0.2796, "E09000005"),  # Wembley, Brent
     (51.5752, 0.1830, "E09000016")],  # Romford, Havering
)
def test_points_fall_in_their_borough(lat: float, lon: float, gss: str) -> None:
    assert borough_for_point(lat, lon) == gss


@pytest.mark.parametrize(("lat", "lon"), [(52.2053, 0.1218), (51.2362, -0.5704), (51.75, -0.34)])
def test_points_outside_london_have_no_borough(lat: float, lon: float) -> None:
    assert borough_for_point(lat, lon) is None


def test_every_centroid_is_in_its_own_borough() -> None:
    assert len(BOROUGHS) == 33  # 32 boroughs and the City
    for borough in BOROUGHS:
        assert borough_for_point(borough.lat, borough.lon) == borough.gss


def test_outline_cells_partition_london() -> None:
    cells = [borough_cells(b.gss, 7) for b in BOROUGHS]
    union = set().union(*cells)
    assert sum(len(c) for c in cells) == len(union)
    assert all(cells)
    area = sum(h3.cell_area(c, unit="km^2") for c in union)
    assert 1300 < area < 1900  # Greater London is about 1,572 km²
    for borough, own in zip(BOROUGHS, cells, strict=True):
        assert all(h3.get_resolution(c) == 7 for c in own)
        assert any(borough_for_point(*h3.cell_to_latlng(c)) == borough.gss for c in own)


def test_outlines_are_rings_of_lat_lon_for_every_borough_and_cached() -> None:
    outlines = borough_outlines()
    assert set(outlines) == set(BY_GSS)
    for polygons in outlines.values():
        assert polygons
        for ring in polygons:
            assert len(ring) >= 6
            assert all(51.2 < lat < 51.8 and -0.6 < lon < 0.4 for lat, lon in ring)
    assert borough_outlines() is outlines
    assert set(borough_outlines(6)) == set(BY_GSS)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(KeyError):
        borough_cells("E09000099")
    with pytest.raises(ValueError, match="resolution"):
        borough_cells("E09000001", 12)
    with pytest.raises(KeyError):
        police_force_for("E08000001")
