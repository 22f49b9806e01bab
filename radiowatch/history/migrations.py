"""The schema, as an ordered list of migrations. Append; never edit one that has shipped.

Each migration receives a raw `sqlite3.Connection` already inside a transaction and must use
only DDL/DML that SQLite can roll back (no VACUUM, no PRAGMA journal_mode). Use `run_script`,
not `Connection.executescript`, which silently COMMITs the open transaction first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute several statements inside the caller's transaction (triggers with `;` included)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            conn.execute(pending)
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:80]}")


def _v1_stations(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE stations (
            id          INTEGER PRIMARY KEY,
            radio_id    INTEGER NOT NULL UNIQUE,
            name        TEXT NOT NULL,
            source      TEXT NOT NULL,      -- what AudD is given: a stream URL or twitch:/youtube: form
            entered     TEXT NOT NULL,      -- what the user typed (a playlist URL or file, say)
            enabled     INTEGER NOT NULL DEFAULT 1,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE INDEX stations_name ON stations(name);
        """,
    )


def _v2_play_history(conn: sqlite3.Connection) -> None:
    """Plays, their edit log, stream lifecycle events and the full-text index.

    Times are UTC epoch seconds (compact, index-friendly, unambiguous); the UI converts to local
    time. `station_name` is a snapshot so history survives a renamed or deleted station.
    `event_key` makes inserts idempotent: a replayed long-poll event maps to the same key.
    The UI indexes lead with `deleted` because every normal view asks for `deleted = 0`; that
    makes them covering for COUNT(*) (a partial index is not: SQLite re-reads each row to check
    the condition, measured 40x slower on 100k plays).
    """
    run_script(
        conn,
        """
        CREATE TABLE plays (
            id              INTEGER PRIMARY KEY,
            event_key       TEXT NOT NULL UNIQUE,
            radio_id        INTEGER,
            station_name    TEXT NOT NULL DEFAULT '',
            start_ts        INTEGER NOT NULL,
            end_ts          INTEGER,
            play_length     REAL,
            artist          TEXT NOT NULL DEFAULT '',
            title           TEXT NOT NULL DEFAULT '',
            album           TEXT,
            label           TEXT,
            release_date    TEXT,
            isrc            TEXT,
            upc             TEXT,
            score           INTEGER,
            song_link       TEXT,
            icy_title       TEXT,
            backend         TEXT NOT NULL DEFAULT '',
            provenance      TEXT,               -- where the matched track came from, e.g. 'udio'
            ai_generated    INTEGER NOT NULL DEFAULT 0,
            raw_json        TEXT,               -- the event exactly as received
            origin          TEXT NOT NULL DEFAULT 'recognized',   -- 'recognized' | 'manual'
            false_positive  INTEGER NOT NULL DEFAULT 0,
            deleted         INTEGER NOT NULL DEFAULT 0,
            original_artist TEXT,               -- set on the first correction, never after
            original_title  TEXT,
            edited_at       INTEGER,
            recorded_at     INTEGER NOT NULL
        );
        CREATE INDEX plays_live_start ON plays(deleted, start_ts);
        CREATE INDEX plays_live_radio_start ON plays(deleted, radio_id, start_ts);
        CREATE INDEX plays_live_artist ON plays(deleted, artist COLLATE NOCASE);
        CREATE INDEX plays_live_title ON plays(deleted, title COLLATE NOCASE);
        CREATE INDEX plays_live_station ON plays(deleted, station_name COLLATE NOCASE);
        CREATE INDEX plays_live_duration ON plays(deleted, COALESCE(play_length, -1));
        CREATE INDEX plays_live_score ON plays(deleted, COALESCE(score, -1));

        -- Running totals by `deleted`, kept by triggers: the unfiltered History view's row
        -- count in O(1) instead of an index walk (~40-150 ms at a million plays).
        CREATE TABLE play_totals (
            deleted INTEGER PRIMARY KEY,
            plays   INTEGER NOT NULL
        );
        INSERT INTO play_totals (deleted, plays) VALUES (0, 0), (1, 0);
        CREATE TRIGGER play_totals_insert AFTER INSERT ON plays BEGIN
            UPDATE play_totals SET plays = plays + 1 WHERE deleted = new.deleted;
        END;
        CREATE TRIGGER play_totals_delete AFTER DELETE ON plays BEGIN
            UPDATE play_totals SET plays = plays - 1 WHERE deleted = old.deleted;
        END;
        CREATE TRIGGER play_totals_update AFTER UPDATE OF deleted ON plays
        WHEN old.deleted != new.deleted BEGIN
            UPDATE play_totals SET plays = plays - 1 WHERE deleted = old.deleted;
            UPDATE play_totals SET plays = plays + 1 WHERE deleted = new.deleted;
        END;

        CREATE TABLE play_edits (
            id          INTEGER PRIMARY KEY,
            play_id     INTEGER NOT NULL REFERENCES plays(id) ON DELETE CASCADE,
            at          INTEGER NOT NULL,
            action      TEXT NOT NULL,       -- 'correct' | 'false_positive' | 'delete' | 'restore' | 'add'
            field       TEXT,
            old_value   TEXT,
            new_value   TEXT
        );
        CREATE INDEX play_edits_play ON play_edits(play_id);

        CREATE TABLE stream_events (
            id          INTEGER PRIMARY KEY,
            event_key   TEXT UNIQUE,
            radio_id    INTEGER NOT NULL,
            at_ts       INTEGER NOT NULL,
            kind        TEXT NOT NULL,       -- 'connecting' | 'live' | 'down' | 'silent' | ...
            code        INTEGER,
            message     TEXT,
            raw_json    TEXT
        );
        CREATE INDEX stream_events_radio_at ON stream_events(radio_id, at_ts);

        CREATE VIRTUAL TABLE plays_fts USING fts5(
            artist, title, album, label, station_name, isrc, icy_title,
            content='plays', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER plays_fts_insert AFTER INSERT ON plays BEGIN
            INSERT INTO plays_fts(rowid, artist, title, album, label, station_name, isrc, icy_title)
            VALUES (new.id, new.artist, new.title, new.album, new.label, new.station_name,
                    new.isrc, new.icy_title);
        END;
        CREATE TRIGGER plays_fts_delete AFTER DELETE ON plays BEGIN
            INSERT INTO plays_fts(plays_fts, rowid, artist, title, album, label, station_name,
                                  isrc, icy_title)
            VALUES ('delete', old.id, old.artist, old.title, old.album, old.label,
                    old.station_name, old.isrc, old.icy_title);
        END;
        CREATE TRIGGER plays_fts_update
        AFTER UPDATE OF artist, title, album, label, station_name, isrc, icy_title ON plays BEGIN
            INSERT INTO plays_fts(plays_fts, rowid, artist, title, album, label, station_name,
                                  isrc, icy_title)
            VALUES ('delete', old.id, old.artist, old.title, old.album, old.label,
                    old.station_name, old.isrc, old.icy_title);
            INSERT INTO plays_fts(rowid, artist, title, album, label, station_name, isrc, icy_title)
            VALUES (new.id, new.artist, new.title, new.album, new.label, new.station_name,
                    new.isrc, new.icy_title);
        END;
        """,
    )


def _v3_monitoring(conn: sqlite3.Connection) -> None:
    """What the long-poll engine must remember across restarts, and the watchlist.

    `stream_state.since_time` (epoch ms, the backend's clock) is where each stream's long poll
    resumes, per backend since the AudD cloud and the local engine keep separate accounts; it only moves after the plays it covers are committed. `registered_url` is what
    radiowatch last gave addStream/setStreamUrl, so streams it registered can be deleted when
    their station goes, while streams someone else put on the account are left alone.
    """
    run_script(
        conn,
        """
        CREATE TABLE stream_state (
            backend         TEXT NOT NULL,   -- whose clock and account: 'audd', 'local', ...
            radio_id        INTEGER NOT NULL,
            since_time      INTEGER,
            registered_url  TEXT,
            updated_at      INTEGER NOT NULL,
            PRIMARY KEY (backend, radio_id)
        );

        CREATE TABLE watch_rules (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL DEFAULT '',
            field       TEXT NOT NULL,       -- 'artist' | 'title' | 'isrc' | 'label' | 'catalog'
            pattern     TEXT NOT NULL DEFAULT '',
            radio_ids   TEXT NOT NULL DEFAULT '[]',   -- JSON list; empty = every station
            hour_from   INTEGER,             -- local hour, inclusive; NULL = all day
            hour_to     INTEGER,             -- local hour, exclusive; may wrap midnight
            enabled     INTEGER NOT NULL DEFAULT 1,
            muted_until INTEGER,             -- epoch seconds
            created_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL
        );
        """,
    )


def _v4_ai_generated_plays(conn: sqlite3.Connection) -> None:
    """The History tab's "AI-generated only" filter walks an index, not the whole table.

    Plays stored before the flag was derived from provenance are back-filled: an imported
    Udio track carries provenance `udio:<id>`.
    """
    run_script(
        conn,
        """
        UPDATE plays SET ai_generated = 1
        WHERE ai_generated = 0 AND provenance LIKE 'udio:_%';
        CREATE INDEX plays_live_ai_start ON plays(deleted, ai_generated, start_ts);
        """,
    )


def _v5_coverage(conn: sqlite3.Connection) -> None:
    """When each station was actually being heard (history/coverage.py explains the rules).

    Times are epoch milliseconds: a stream that drops for a second is a real gap. `end_ms` is
    the last moment monitoring confirmed, moved forward by a heartbeat while the span is
    `open`; a span left open by a crash therefore ends at its last heartbeat, never later.
    The index serves both "spans overlapping a period" (radio_id, end_ms > from) and "the
    latest span of a station".
    """
    run_script(
        conn,
        """
        CREATE TABLE coverage (
            id          INTEGER PRIMARY KEY,
            radio_id    INTEGER NOT NULL,
            backend     TEXT NOT NULL DEFAULT '',
            start_ms    INTEGER NOT NULL,
            end_ms      INTEGER NOT NULL,
            open        INTEGER NOT NULL DEFAULT 1,   -- 1 while the monitoring extends it
            CHECK (end_ms >= start_ms)
        );
        CREATE INDEX coverage_radio_end ON coverage(radio_id, end_ms);
        CREATE INDEX coverage_open ON coverage(open) WHERE open = 1;
        """,
    )


MIGRATIONS: list[Migration] = [
    Migration(1, "stations", _v1_stations),
    Migration(2, "play history", _v2_play_history),
    Migration(3, "monitoring: stream state and watchlist", _v3_monitoring),
    Migration(4, "AI-generated plays index", _v4_ai_generated_plays),
    Migration(5, "coverage: when each station was heard", _v5_coverage),
]
