"""Distances computed by the database: a bounding box that indexes can use, then the great circle."""

import math

import numpy as np
from django.db.models import Expression, F, FloatField, Value
from django.db.models.functions import ACos, Cos, Least, Power, Radians, Sin, Sqrt

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


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The same great-circle distance in Python, for pairs already loaded."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    cosine = math.cos(phi1) * math.cos(phi2) * math.cos(math.radians(lng2 - lng1)) + math.sin(phi1) * math.sin(phi2)
    return math.acos(min(1.0, max(-1.0, cosine))) * EARTH_RADIUS_M


def distances_m(latitude: float, longitude: float, latitudes: "np.ndarray", longitudes: "np.ndarray") -> "np.ndarray":
    """`distance_m` from one point to many at once (numpy; NaN where a position is NaN): a list page's
    fifty distances cost one pass instead of fifty calls."""
    phi1, phi2 = math.radians(latitude), np.radians(latitudes)
    cosine = math.cos(phi1) * np.cos(phi2) * np.cos(np.radians(longitudes - longitude)) + math.sin(phi1) * np.sin(phi2)
    return np.arccos(np.clip(cosine, -1.0, 1.0)) * EARTH_RADIUS_M


def planar_m(*, latitude: float, longitude: float, lat_field: str, lng_field: str) -> Expression:
    """Equirectangular distance in SQL: plain arithmetic, no trigonometry per row. Within a city-sized
    radius it differs from the great circle by far less than a metre per kilometre, which is all a
    ranking or a radius filter of tens of kilometres needs; shown distances use `distance_m`."""
    metres_per_degree = KM_PER_DEGREE_LATITUDE * 1000
    north = (F(lat_field) - Value(latitude)) * Value(metres_per_degree)
    east = (F(lng_field) - Value(longitude)) * Value(metres_per_degree * math.cos(math.radians(latitude)))
    return Sqrt(Power(north, 2) + Power(east, 2), output_field=FloatField())
