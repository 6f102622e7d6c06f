"""Lengths of paths through points."""

from shapes.geometry import Point, distance


def path_length(points: list[Point]) -> float:
    """Total length of the path through `points`, in order."""
    return sum(distance(a, b) for a, b in zip(points, points[1:]))


def is_closed(points: list[Point], tolerance: float = 1e-9) -> bool:
    """Whether the path ends where it starts."""
    return distance(points[0], points[-1]) <= tolerance
