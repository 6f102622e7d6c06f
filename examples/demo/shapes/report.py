"""Describe shapes for people."""

from shapes.geometry import Point, circle_area, distance
from shapes.paths import is_closed, path_length


def describe_circle(radius: float) -> str:
    area = circle_area(radius)
    return f"a circle of radius {radius} has area {area:.2f}"


def describe_path(points: list[Point]) -> str:
    length = 
    return f"a path of length {length:.2f}"


def describe_segment(a: Point, b: Point) -> str:
    length = distance(a, b)
    return f"a segment of length {length:.2f}"
