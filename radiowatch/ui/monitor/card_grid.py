"""How the Monitor tab lays out its cards: how wide, how many per row, how much on each.

The page must look meant at one station as at thirty. Fixed 330-pixel cards in a corner left a
grey void with one or two stations and a ragged right edge with many. So:

- Cards share the row: as many columns as fit at the minimum width, then every card (and the
  "Add a station" tile after the last one) is stretched to fill the row, up to a maximum width.
- With one or two stations the cards are roomy: a bigger cover and more of the earlier plays,
  since there is room for them and nothing else to show.

Pure arithmetic, no widgets: the tab applies it whenever the view's width or the number of
stations changes.
"""

from __future__ import annotations

from dataclasses import dataclass

CARD_SPACING = 12


@dataclass(frozen=True)
class CardStyle:
    min_width: int
    max_width: int
    cover: int  # cover art, pixels square
    recent_rows: int  # earlier plays listed under the current one
    roomy: bool


COMPACT = CardStyle(min_width=300, max_width=440, cover=72, recent_rows=4, roomy=False)
ROOMY = CardStyle(min_width=380, max_width=560, cover=120, recent_rows=8, roomy=True)
ROOMY_UP_TO = 2  # stations: with more, the page shows more cards rather than more per card
MOST_RECENT_ROWS = max(COMPACT.recent_rows, ROOMY.recent_rows)


def card_style(stations: int) -> CardStyle:
    return ROOMY if stations <= ROOMY_UP_TO else COMPACT


@dataclass(frozen=True)
class GridShape:
    columns: int
    card_width: int


def grid_shape(
    available_width: int, tiles: int, style: CardStyle, spacing: int = CARD_SPACING
) -> GridShape:
    """Columns and card width for `tiles` tiles (cards plus the add tile) in a view this wide.

    Never more columns than tiles (one card does not sit in a quarter of the page), never a
    card narrower than the style's minimum unless the view itself is narrower.
    """
    fits = max(1, (available_width + spacing) // (style.min_width + spacing))
    columns = max(1, min(fits, tiles))
    share = (available_width - (columns - 1) * spacing) // columns
    width = max(min(share, style.max_width), min(style.min_width, available_width))
    return GridShape(columns, width)
