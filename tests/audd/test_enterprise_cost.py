"""The enterprise cost estimate: 1 request per 12 s chunk scanned (docs/protocols/audd.md §4.1)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from radiowatch.audd.enterprise_cost import ScanPlan, describe_cost, estimated_requests


def test_every_chunk_of_a_three_hour_file_is_900_requests():
    assert estimated_requests(3 * 3600, ScanPlan()) == 900


def test_skip_four_every_one_scans_one_chunk_per_minute():
    assert estimated_requests(3 * 3600, ScanPlan(skip=4, every=1)) == 180


def test_the_documented_every_two_skip_three_pattern_on_two_minutes():
    # chunks 0,1 scanned, 2,3,4 skipped, 5,6 scanned, 7,8,9 skipped
    assert estimated_requests(120, ScanPlan(every=2, skip=3)) == 4


def test_limit_and_skip_first_seconds_reduce_the_bill():
    assert estimated_requests(600, ScanPlan(limit=7)) == 7
    assert estimated_requests(600, ScanPlan(skip_first_seconds=540)) == 5


def test_a_trailing_partial_chunk_is_counted():
    assert estimated_requests(13, ScanPlan()) == 2
    assert estimated_requests(0, ScanPlan()) == 0


def test_the_description_names_the_count_and_the_pattern():
    text = describe_cost(3600, ScanPlan(skip=4))
    assert text.startswith("≈ 60 requests")
    assert "12 s per 60 s" in text
    assert "unknown" in describe_cost(None, ScanPlan())


def test_impossible_options_are_refused():
    with pytest.raises(ValidationError):
        ScanPlan(every=0)
    with pytest.raises(ValidationError):
        ScanPlan(skip=-1)


def test_request_params_leave_defaults_out():
    assert ScanPlan().request_params() == {
        "skip": None,
        "every": None,
        "limit": None,
        "skip_first_seconds": None,
        "accurate_offsets": True,
    }
    assert ScanPlan(skip=4, every=1).request_params()["every"] == 1
