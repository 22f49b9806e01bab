"""Asking the user something from inside a coroutine, without a nested event loop.

`QInputDialog.getText()` and `QDialog.exec()` spin a nested Qt loop; inside a running asyncio
task that makes asyncio refuse to run any other task (docs/qt-and-asyncio.md, rule C). These
helpers open the dialog window-modally with `open()` and await its answer instead.
"""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog, QInputDialog, QWidget


async def ask_text(parent: QWidget, title: str, label: str, text: str = "") -> str | None:
    """The text the user entered, or None if they cancelled (or the dialog was closed)."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextValue(text)
    answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not answer.done():
            accepted = result == QDialog.DialogCode.Accepted
            answer.set_result(dialog.textValue() if accepted else None)

    dialog.finished.connect(finished)
    dialog.open()
    try:
        return await answer
    finally:
        dialog.deleteLater()
