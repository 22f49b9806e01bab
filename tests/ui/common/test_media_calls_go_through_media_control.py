"""Media players are commanded only through ui/common/media_control.py (see its docstring: a direct
QMediaPlayer.stop()/setSource() from Python can freeze the app). This keeps new code honest."""

import ast
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[3] / "radiowatch" / "ui"
PLAYER_ONLY = {
    "setSource",
    "setSourceDevice",
    "setPosition",
}  # (setAudioOutput at creation is fine)
PLAYER_VERBS = {"play", "pause", "stop"}


def _receiver_name(node: ast.expr) -> str:
    """`self._player` -> `_player`, `player` -> `player`."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def direct_player_calls(source: str) -> list[str]:
    offences = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        verb, receiver = node.func.attr, _receiver_name(node.func.value)
        if verb in PLAYER_ONLY or (verb in PLAYER_VERBS and "player" in receiver.lower()):
            offences.append(f"{node.lineno}: {receiver}.{verb}()")
    return offences


def test_the_check_finds_direct_calls():
    source = "self._player.stop()\nplayer.setSource(url)\nself._timer.stop()\n"
    assert direct_player_calls(source) == ["1: _player.stop()", "2: player.setSource()"]


def test_no_ui_module_calls_a_media_player_directly():
    offences = [
        f"{path.name}:{where}"
        for path in sorted(UI.rglob("*.py"))
        if path.name != "media_control.py"
        for where in direct_player_calls(path.read_text(encoding="utf-8"))
    ]
    assert offences == [], "use radiowatch.ui.common.media_control instead: " + ", ".join(offences)


@pytest.mark.qt_log_ignore("^QMetaObject::invokeMethod: No such method")
def test_a_wrong_command_is_an_error_not_silence(qtbot):
    from PySide6.QtCore import QObject

    from radiowatch.ui.common import media_control

    with pytest.raises(RuntimeError, match="no slot play"):
        media_control.play(QObject())
