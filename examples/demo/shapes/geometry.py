"""Plane geometry helpers."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    x: float
    y: float


def distance(a: Point, b: Point) -> float:
    """Euclidean distance between two points."""
    return math.hypot(a.x - b.x, a.y - b.y)


def circle_area(radius: float) -> float:
    """Area of a circle with the given radius."""
    return math.pi * radius**2
