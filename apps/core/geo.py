"""Distances computed by the database: a bounding box that indexes can use, then the great circle."""

import math

from django.db.models import Expression, F, FloatField, Value
from django.db.models.functions import ACos, Cos, Least, Radians, Sin

EARTH_RADIUS_M = 6_371_000.0
KM_PER_DEGREE_LATITUDE = 111.045


def bounding_box(*, latitude: float, longitude: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) enclosing the circle; wide open in longitude near the poles."""
    delta_lat = radius_km / KM_PER_DEGREE_LATITUDE
    cos_lat = math.cos(math.radians(latitude))
    delta_lng = 180.0 if cos_lat < 1e-6 else min(180.0, radius_km / (KM_PER_DEGREE_LATITUDE * cos_lat))
    return latitude - delta_lat, latitude + delta_lat, longitude - delta_lng, longitude + delta_lng


def great_circle_m(*, latitude: float, longitude: float, lat_field: str, lng_field: str) -> Expression:
    """Spherical law of cosines in SQL, clamped so rounding never pushes ACOS outside its domain."""
    lat0 = Value(math.radians(latitude), output_field=FloatField())
    lng0 = Value(math.radians(longitude), output_field=FloatField())
    lat1 = Radians(F(lat_field))
    lng1 = Radians(F(lng_field))
    cosine = Cos(lat0) * Cos(lat1) * Cos(lng1 - lng0) + Sin(lat0) * Sin(lat1)
    return ACos(Least(Value(1.0), cosine, output_field=FloatField())) * Value(EARTH_RADIUS_M)
