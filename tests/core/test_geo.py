"""The great circle for many points at once gives what the one-pair version gives."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.core.geo import distance_m, distances_m

latitudes = st.floats(-89.9, 89.9)
longitudes = st.floats(-180, 180)


@settings(max_examples=200, deadline=None)
@given(
    origin=st.tuples(latitudes, longitudes),
    points=st.lists(st.tuples(st.one_of(st.none(), latitudes), longitudes), max_size=60),
)
def test_many_distances_at_once_are_the_one_pair_distances(origin, points):
    lats = np.array([math.nan if lat is None else lat for lat, _lng in points], dtype=np.float64)
    lngs = np.array([lng for _lat, lng in points], dtype=np.float64)
    many = distances_m(*origin, lats, lngs)
    assert len(many) == len(points)
    for (lat, lng), metres in zip(points, many.tolist(), strict=True):
        if lat is None:
            assert math.isnan(metres)
        else:
            # Within a nanometre per metre, and a few centimetres where two points nearly coincide (the
            # arc cosine of nearly 1 turns a last-bit difference of the cosine into centimetres).
            assert math.isclose(metres, distance_m(*origin, lat, lng), rel_tol=1e-9, abs_tol=0.1)
