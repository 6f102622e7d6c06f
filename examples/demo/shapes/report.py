"""Describe shapes for people."""

from shapes.geometry import Point, circle_area, distance


def describe_circle(radius: float) -> str:
    area = circle_area(radius)
    return f"a circle of radius {radius} has area {area:.2f}"


def describe_segment(a: Point, b: Point) -> str:
    length = 
    return f"a segment of length {length:.2f}"
