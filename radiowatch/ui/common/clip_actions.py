"""“Listen” and “Save clip…” for a play: its archived audio, from the engine that heard it.

The engine keeps what each station sent (engine/archive/); a play's clip is its audio with
`PAD_S` seconds before and after, as broadcast (MP3, AAC, Ogg or FLAC, not re-encoded) or as
MP3.
Any tab that shows plays (History, the now-playing cards) adds these actions to its menu with
`add_to_menu(menu, play)`; the actions say why they are off where there is nothing to fetch
(the AudD cloud keeps no audio; a play entered by hand has no station). Whether the engine
still keeps a play's audio is asked (`/archive/kept/`), never assumed: the actions stay off,
saying they are checking, until the engine has answered (`check_kept`).

The GUI thread never waits: the clip is fetched by a coroutine on the GUI loop (network on
asyncio), written to a file, then played through the shared PreviewPlayer or moved to where
the user chose in a non-modal file dialog. Progress and failures come out of `status`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from radiowatch.audd.errors import AudDError
from radiowatch.backend.archive_client import (
    ArchiveClient,
    ArchiveUnavailable,
    AudioKept,
    ClipAudio,
)
from radiowatch.history.play import Play, to_epoch
from radiowatch.ui.common.preview_player import PreviewPlayer
from radiowatch.ui.common.tasks import TaskSlot

log = logging.getLogger(__name__)

PAD_S = 5.0
# A play reported without a length (announced at its start) is fetched for this long.
UNKNOWN_LENGTH_S = 180.0
MP3_FILTER = "MP3 audio (*.mp3)"
ORIGINAL_FILTER = "As broadcast, not re-encoded (*.mp3 *.aac *.ogg *.flac)"

CHECKING = "Checking whether the engine still keeps this play's audio…"

ArchiveProvider = Callable[[], ArchiveClient]


@dataclass(frozen=True)
class KeptAnswer:
    """What the engine said about a play's audio, in words for a tooltip or a dialog."""

    available: bool  # there is audio to listen to or save
    text: str


def kept_answer(kept: AudioKept, start: float, end: float) -> KeptAnswer:
    length = max(0.0, end - start)
    if kept.kept_seconds <= 0.5:
        return KeptAnswer(
            False,
            "No audio of this play is kept: the engine was not archiving the station then, "
            "or the audio is older than its retention (Settings → Archive).",
        )
    what = "/".join(f.upper() for f in kept.formats) or "audio"
    if kept.complete:
        return KeptAnswer(True, f"Audio kept: the whole play ({_mmss(length)}, {what}).")
    return KeptAnswer(
        True,
        f"Audio kept for {_mmss(kept.kept_seconds)} of the play's {_mmss(length)} ({what}); "
        "the station was not heard for the rest.",
    )


def _mmss(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def play_span(play: Play) -> tuple[float, float]:
    """The play's [start, end] in epoch seconds (a play without a length: UNKNOWN_LENGTH_S)."""
    start = float(to_epoch(play.start))
    end = play.effective_end
    return start, float(to_epoch(end)) if end is not None else start + UNKNOWN_LENGTH_S


def clip_file_name(play: Play, extension: str) -> str:
    """`Station - Artist - Title - 2026-05-04 1015.mp3`, safe on every file system."""
    moment = play.start.astimezone().strftime("%Y-%m-%d %H%M")
    parts = [play.station_name, play.artist, play.title, moment]
    name = " - ".join(p for p in parts if p)
    safe = "".join("_" if c in '<>:"/\\|?*' or ord(c) < 32 else c for c in name).strip(" .")
    return f"{safe or 'clip'}{extension}"


class ClipActions(QObject):
    status = Signal(str, bool)  # text, is it an error

    def __init__(self, archive: ArchiveProvider, cache_dir: Path, parent: QWidget) -> None:
        super().__init__(parent)
        self._archive = archive
        self._parent = parent
        self._clips = Path(cache_dir) / "clips"
        self.preview = PreviewPlayer(self)  # plays nothing where QtMultimedia cannot load
        self._fetch = TaskSlot("archived clip", on_error=self._failed)
        self._menu_check = TaskSlot("kept audio for a menu")

    @property
    def archive(self) -> ArchiveProvider:
        """The archive client factory (raises ArchiveUnavailable with the reason)."""
        return self._archive

    # -- menus -----------------------------------------------------------------------------------
    def add_to_menu(self, menu: QMenu, play: Play) -> tuple[QAction, QAction]:
        """Add Listen and Save clip… for `play`; they turn on once the engine says it keeps
        the play's audio (until then, and when it does not, their tooltip says why)."""
        listen = menu.addAction("Listen", lambda: self.listen(play))
        save = menu.addAction("Save clip…", lambda: self.save(play))
        menu.setToolTipsVisible(True)
        reason = self.unavailable(play)
        self._set_actions((listen, save), False, reason or CHECKING)
        if reason is None:
            self._menu_check.start(self._check_for_menu(play, listen, save))
        return listen, save

    async def _check_for_menu(self, play: Play, listen: QAction, save: QAction) -> None:
        answer = await self.check_kept(play)
        if not (shiboken6.isValid(listen) and shiboken6.isValid(save)):
            return  # the menu closed before the engine answered
        self._set_actions((listen, save), answer.available, answer.text)
        if answer.available and not self.preview.available():
            self._set_actions((listen,), False, PreviewPlayer.unavailable_reason() or "")

    @staticmethod
    def _set_actions(actions: tuple[QAction, ...], enabled: bool, tip: str) -> None:
        for action in actions:
            action.setEnabled(enabled)
            action.setToolTip(tip)

    async def check_kept(self, play: Play) -> KeptAnswer:
        """Ask the engine whether it keeps `play`'s audio; never raises (the answer says what
        went wrong)."""
        reason = self.unavailable(play)
        if reason is not None:
            return KeptAnswer(False, reason)
        assert play.radio_id is not None
        start, end = play_span(play)
        end = min(end, time.time())  # a play still on air: what has aired so far
        try:
            async with self._archive() as client:
                kept = await client.kept(play.radio_id, start, max(start, end))
        except AudDError as exc:
            return KeptAnswer(False, f"Could not ask the engine about this play's audio: {exc}")
        return kept_answer(kept, start, end)

    def unavailable(self, play: Play) -> str | None:
        """Why there is no clip to fetch for `play`, or None."""
        if play.radio_id is None:
            return "This play was entered by hand: no station audio belongs to it."
        try:
            self._archive()  # no connection is made until the client is used
        except ArchiveUnavailable as exc:
            return str(exc)
        return None

    # -- commands ------------------------------------------------------------------------------
    def listen(self, play: Play) -> None:
        self._fetch.start(self._listen(play))

    def save(self, play: Play) -> None:
        dialog = QFileDialog(self._parent, "Save the play's audio")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters([MP3_FILTER, ORIGINAL_FILTER])
        dialog.selectFile(clip_file_name(play, ".mp3"))
        dialog.fileSelected.connect(
            lambda path: self._fetch.start(
                self.save_to(play, Path(path), mp3=dialog.selectedNameFilter() == MP3_FILTER)
            )
        )
        dialog.open()

    async def fetch(self, play: Play, *, mp3: bool = False) -> ClipAudio:
        start, end = play_span(play)
        end = max(start + 1.0, min(end, time.time()))  # a play still on air: so far
        assert play.radio_id is not None
        self.status.emit("Fetching the play's audio from the engine…", False)
        async with self._archive() as client:
            return await client.clip(play.radio_id, start, end, pad=PAD_S, mp3=mp3)

    async def _listen(self, play: Play) -> None:
        clip = await self.fetch(play)
        extension = Path(clip.file_name).suffix or ".mp3"
        self._clips.mkdir(parents=True, exist_ok=True)
        path = self._clips / f"play-{play.id or 'new'}{extension}"
        _write(path, clip.data)
        if not self.preview.available():
            self.status.emit(PreviewPlayer.unavailable_reason() or "cannot play audio here", True)
            return
        self.preview.unload()
        self.preview.load(QUrl.fromLocalFile(str(path)))
        self.preview.play()
        self.status.emit(f"Playing {_describe(clip)} of {play.title or 'the play'}.", False)

    async def save_to(self, play: Play, path: Path, *, mp3: bool) -> Path:
        clip = await self.fetch(play, mp3=mp3)
        extension = Path(clip.file_name).suffix or (".mp3" if mp3 else "")
        if extension and path.suffix.lower() != extension:
            path = path.with_suffix(extension)  # the clip's real format decides
        _write(path, clip.data)
        self.status.emit(f"Saved {_describe(clip)} to {path}.", False)
        return path

    def _failed(self, exc: BaseException) -> None:
        text = str(exc) if isinstance(exc, AudDError | OSError) else "the clip could not be fetched"
        if not isinstance(exc, AudDError | OSError):
            log.error("fetching a clip failed", exc_info=exc)
        self.status.emit(f"No audio: {text}", True)


def _describe(clip: ClipAudio) -> str:
    seconds = max(0, round(clip.end - clip.start))
    text = f"{seconds // 60}:{seconds % 60:02d} of audio"
    if clip.gaps:
        missing = round(sum(b - a for a, b in clip.gaps))
        text += f" (the station was not heard for {missing} s inside it)"
    return text


def _write(path: Path, data: bytes) -> None:
    """Write the whole file or nothing (a temp file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
