"""Pasted text, share links and spreadsheets become a clean list of Udio ids."""

from __future__ import annotations

import pytest

from radiowatch.udio.task_ids import batched, parse_ids

A = "4f6532fa-ef6f-495b-a7fe-98b58453c9bc"
B = "632ac4b3-83e0-4e52-8d92-57268ffdf116"


def test_ids_are_found_in_any_separator_order_and_deduplicated():
    text = f"{A},{B}\n\n  {A.upper()} ; https://www.udio.com/songs/{B}?utm=x\n"
    assert parse_ids(text).ids == [A, B]


def test_tokens_that_look_like_ids_but_are_not_are_reported():
    parsed = parse_ids(f"id,title\n{A},Final Echoes\n4f6532fa-ef6f-495b\nhello")
    assert parsed.ids == [A]
    assert parsed.rejected == ["4f6532fa-ef6f-495b"]


def test_empty_text_has_no_ids():
    assert parse_ids("").ids == [] and parse_ids("   ").rejected == []


def test_batches_keep_order_and_size():
    assert list(batched(["a", "b", "c", "d", "e"], 2)) == [["a", "b"], ["c", "d"], ["e"]]
    assert list(batched([], 3)) == []
    with pytest.raises(ValueError):
        list(batched(["a"], 0))
