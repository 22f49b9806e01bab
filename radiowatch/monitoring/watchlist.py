"""Watchlist rules: "tell me when this plays" on artist, title, ISRC, label or my own catalog.

A rule can be limited to some stations and to hours of the day (in the user's local time, and
a window may wrap midnight: 22-6), and muted until a moment without being deleted. Matching is
a pure function (`rule_matches`, `matching_rules`) so it is tested directly and the service only
decides what to do with a hit.

Text rules match whole words, case- and accent-insensitively: "walker" matches
"Alan Walker, A$AP Rocky" but "ed" does not match "Edith". ISRC rules compare the code without
dashes; a shorter pattern is a prefix, so "GBUM7" watches one registrant's whole range.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, tzinfo
from typing import Literal

import sqlite_utils
from pydantic import BaseModel, Field, field_validator, model_validator

from radiowatch.history.errors import friendly_errors
from radiowatch.history.play import Play, from_epoch, to_epoch
from radiowatch.signals import Signal

RuleField = Literal["artist", "title", "isrc", "label", "catalog"]
RULE_FIELDS: tuple[RuleField, ...] = ("artist", "title", "isrc", "label", "catalog")
FIELD_LABELS: dict[str, str] = {
    "artist": "Artist",
    "title": "Title",
    "isrc": "ISRC",
    "label": "Label",
    "catalog": "Any track of my catalog",
}


class WatchRule(BaseModel):
    """One rule. `radio_ids` empty means every station; both hours None means all day."""

    id: int | None = None
    name: str = ""
    field: RuleField
    pattern: str = ""
    radio_ids: list[int] = Field(default_factory=list)
    hour_from: int | None = Field(default=None, ge=0, le=23)
    hour_to: int | None = Field(default=None, ge=0, le=24)
    enabled: bool = True
    muted_until: datetime | None = None

    @field_validator("pattern", "name", mode="before")
    @classmethod
    def _strip(cls, value: object) -> str:
        return "" if value is None else str(value).strip()

    @field_validator("muted_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _complete(self) -> WatchRule:
        if self.field != "catalog" and not self.pattern:
            raise ValueError(
                f"A {FIELD_LABELS[self.field]} rule needs something to look for: "
                "type the text to watch."
            )
        if (self.hour_from is None) != (self.hour_to is None):
            raise ValueError("Give both hours (from and to) or neither, for all day.")
        return self

    def describe(self) -> str:
        if self.name:
            return self.name
        if self.field == "catalog":
            return FIELD_LABELS["catalog"]
        return f"{FIELD_LABELS[self.field]}: {self.pattern}"

    def is_muted(self, now: datetime) -> bool:
        return self.muted_until is not None and self.muted_until > now


# -- pure matching ---------------------------------------------------------------------------


def normalize_text(text: str | None) -> str:
    """Casefolded, accents removed, punctuation as spaces, spaces collapsed."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.sub(r"[^\w$]+", " ", plain.casefold())
    return " ".join(words.split())


def normalize_isrc(code: str | None) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", code or "").upper()


def _contains_words(value: str | None, pattern: str) -> bool:
    needle = normalize_text(pattern)
    if not needle:
        return False
    return f" {needle} " in f" {normalize_text(value)} "


def is_catalog_track(play: Play) -> bool:
    """The play is one of the user's own tracks.

    The local engine only knows the user's catalog, so every play it reports counts; from the
    AudD cloud a custom-catalog hit carries `audio_id`; imports (Udio) set `provenance`.
    """
    if play.provenance or play.backend == "local":
        return True
    raw = play.raw_event or {}
    songs = raw.get("results") if isinstance(raw.get("results"), list) else None
    if songs is None and isinstance(raw.get("result"), dict):
        songs = raw["result"].get("results")
    return bool(songs) and isinstance(songs[0], dict) and songs[0].get("audio_id") is not None


def track_matches(rule: WatchRule, play: Play) -> bool:
    """Whether the track itself is what the rule looks for (ignoring scope and mute)."""
    if rule.field == "catalog":
        return is_catalog_track(play)
    if rule.field == "isrc":
        wanted, actual = normalize_isrc(rule.pattern), normalize_isrc(play.isrc)
        return bool(wanted) and bool(actual) and actual.startswith(wanted)
    value = {"artist": play.artist, "title": play.title, "label": play.label}[rule.field]
    return _contains_words(value, rule.pattern)


def in_hours(rule: WatchRule, moment: datetime, tz: tzinfo | None = None) -> bool:
    """`hour_from` inclusive to `hour_to` exclusive, in `tz` (local time when None)."""
    if rule.hour_from is None or rule.hour_to is None:
        return True
    hour = moment.astimezone(tz).hour
    start, end = rule.hour_from, rule.hour_to
    if start == end or (start == 0 and end == 24):
        return True
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def rule_matches(rule: WatchRule, play: Play, *, now: datetime, tz: tzinfo | None = None) -> bool:
    """The whole decision: enabled, not muted at `now`, station in scope, play within the hours,
    and the track is the one watched. Hours are checked on the play's start, not on `now`,
    so a catch-up after a restart judges each play by when it aired."""
    if not rule.enabled or rule.is_muted(now):
        return False
    if rule.radio_ids and play.radio_id not in rule.radio_ids:
        return False
    if not in_hours(rule, play.start, tz):
        return False
    return track_matches(rule, play)


def matching_rules(
    rules: Iterable[WatchRule], play: Play, *, now: datetime, tz: tzinfo | None = None
) -> list[WatchRule]:
    return [rule for rule in rules if rule_matches(rule, play, now=now, tz=tz)]


# -- persistence -----------------------------------------------------------------------------

_COLUMNS = "id, name, field, pattern, radio_ids, hour_from, hour_to, enabled, muted_until"


def _rule_from_row(row: tuple) -> WatchRule:
    return WatchRule(
        id=row[0],
        name=row[1],
        field=row[2],
        pattern=row[3],
        radio_ids=json.loads(row[4] or "[]"),
        hour_from=row[5],
        hour_to=row[6],
        enabled=bool(row[7]),
        muted_until=from_epoch(row[8]),
    )


class WatchlistStore:
    """The rules in the `watch_rules` table (migration v3). Reads are cached until a write,
    because matching runs for every play and rules change only when the user edits them.

    The monitoring thread reads the rules through a store of its own (its own connection):
    the GUI's store tells `subscribe`rs after each write, and the GUI side then asks the
    thread's store to `reload()`."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._conn: sqlite3.Connection = db.conn
        self._cache: list[WatchRule] | None = None
        self.changed: Signal[[]] = Signal("watchlist changed")

    def subscribe(self, listener: Callable[[], object]) -> Callable[[], None]:
        """Call `listener()` after every save, delete or mute; returns an unsubscribe."""
        return self.changed.subscribe(listener)

    def reload(self) -> None:
        """Forget the cached rules: another connection changed them."""
        self._cache = None

    def _changed(self) -> None:
        self._cache = None
        self.changed.emit()

    def rules(self) -> list[WatchRule]:
        if self._cache is None:
            with friendly_errors("read the watchlist"):
                rows = self._conn.execute(
                    f"SELECT {_COLUMNS} FROM watch_rules ORDER BY id"
                ).fetchall()
            self._cache = [_rule_from_row(r) for r in rows]
        return list(self._cache)

    def get(self, rule_id: int) -> WatchRule | None:
        return next((r for r in self.rules() if r.id == rule_id), None)

    def save(self, rule: WatchRule) -> WatchRule:
        """Insert a new rule (id None) or replace an existing one; returns it with its id."""
        values = (
            rule.name,
            rule.field,
            rule.pattern,
            json.dumps(sorted(set(rule.radio_ids))),
            rule.hour_from,
            rule.hour_to,
            int(rule.enabled),
            to_epoch(rule.muted_until) if rule.muted_until else None,
            int(time.time()),
        )
        with friendly_errors("save the watchlist rule"):
            if rule.id is None:
                cursor = self._conn.execute(
                    "INSERT INTO watch_rules (name, field, pattern, radio_ids, hour_from, "
                    "hour_to, enabled, muted_until, updated_at, created_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (*values, int(time.time())),
                )
                rule = rule.model_copy(update={"id": int(cursor.lastrowid)})
            else:
                self._conn.execute(
                    "UPDATE watch_rules SET name=?, field=?, pattern=?, radio_ids=?, hour_from=?, "
                    "hour_to=?, enabled=?, muted_until=?, updated_at=? WHERE id=?",
                    (*values, rule.id),
                )
        self._changed()
        return rule

    def delete(self, rule_id: int) -> None:
        with friendly_errors("delete the watchlist rule"):
            self._conn.execute("DELETE FROM watch_rules WHERE id = ?", (rule_id,))
        self._changed()

    def mute(self, rule_id: int, until: datetime | None) -> WatchRule | None:
        """Silence a rule until `until` (None unmutes). Returns the rule, None if it is gone."""
        rule = self.get(rule_id)
        if rule is None:
            return None
        return self.save(rule.model_copy(update={"muted_until": until}))
