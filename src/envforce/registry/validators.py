"""Model-field validators wrapping the pure rules, so forms, the API and imports share them."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from envforce.registry import rules


def validate_credit_code(value: str) -> None:
    problem = rules.check_credit_code(value)
    if problem:
        raise ValidationError(problem.message, code=f"credit_code_{problem.code}")


def validate_mn(value: str) -> None:
    problem = rules.check_mn(value)
    if problem:
        raise ValidationError(problem.message, code=f"mn_{problem.code}")


def validate_longitude(value: object) -> None:
    low, high = rules.LONGITUDE_RANGE
    if value is not None and not (low <= float(str(value)) <= high):
        raise ValidationError(f"经度应在 {low}–{high} 之间", code="longitude_range")


def validate_latitude(value: object) -> None:
    low, high = rules.LATITUDE_RANGE
    if value is not None and not (low <= float(str(value)) <= high):
        raise ValidationError(f"纬度应在 {low}–{high} 之间", code="latitude_range")
