"""ElidedLabel (radiowatch/ui/common/elided_label.py): a long text never sets a minimum width."""

import pytest
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from radiowatch.ui.common.elided_label import ElidedLabel

pytestmark = pytest.mark.qt
NAME = "A song with a rather long file name, as rips often have (128 BPM).wav"


def test_a_long_text_is_elided_to_the_width_given_and_whole_in_the_tooltip(qtbot):
    row = QWidget()
    qtbot.addWidget(row)
    label = ElidedLabel(NAME)
    layout = QHBoxLayout(row)
    layout.addWidget(QPushButton("Open…"))
    layout.addWidget(label, 1)
    row.resize(220, 40)
    row.show()
    qtbot.waitExposed(row)
    assert row.width() == 220  # the label did not push the row wider
    assert label.is_elided() and "…" in label.text() and label.text().endswith(".wav")
    assert label.full_text() == NAME and label.toolTip() == NAME

    label.setToolTip("/music/rips/" + NAME)  # a tooltip of its own survives new text
    label.setText(NAME + " — 1:30.0")
    assert label.toolTip() == "/music/rips/" + NAME

    row.resize(1000, 40)
    qtbot.waitUntil(lambda: not label.is_elided())
    assert label.text() == NAME + " — 1:30.0"
