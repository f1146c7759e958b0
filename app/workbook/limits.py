"""How much one import may be: every limit is a named constant here and in docs/workbook.md.

They exist so that any file, however damaged or hostile, gets a clear answer within bounded time
and memory (issue 13: a 306 KB zip once expanded to 300 MB and took 6.4 GB). They are per
import: a facility larger than one file allows imports its sheets one CSV file at a time.
"""

from __future__ import annotations

import datetime as dt

#: The file as stored: an .xlsx, a .zip, one .csv, or all .csv files of a folder together.
MAX_SOURCE_BYTES = 50 * 1024 * 1024
#: Everything a workbook or .zip holds, uncompressed (a 200,000-case workbook is about 270 MB).
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
#: Uncompressed ÷ compressed size of one member larger than ``RATIO_FLOOR_BYTES`` (real sheets: 8–15).
MAX_COMPRESSION_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024
#: Members of an .xlsx or .zip (an .xlsx of the twelve sheets has about 25).
MAX_MEMBERS = 200
#: Data rows (not counting headers and blank rows) in all sheets of one import together.
MAX_ROWS = 1_000_000
#: The cells a spreadsheet reader allocates for one sheet: used rows × used columns.
MAX_SHEET_CELLS = 3_000_000
#: Columns of one sheet (the widest sheet has 12).
MAX_COLUMNS = 64
#: Characters of text held by the cells of one .xlsx sheet (shared strings counted at each use).
MAX_SHEET_TEXT = 150_000_000
#: Characters in one cell: what Excel itself can hold.
MAX_CELL_CHARS = 32_767
#: Characters in one CSV line (a quoted cell may span lines; each line is bounded).
MAX_LINE_CHARS = MAX_COLUMNS * 1024 + MAX_CELL_CHARS

# ---- value ranges (record rules such as doses, fractions, metrics and birth dates live in
# app.domain.records, shared with the forms) ----------------------------------------------
#: Years: baseline, policy and program years.
MIN_YEAR, MAX_YEAR = 1990, 2100
#: Every date of a record (meetings, roles, absences, due dates may be planned ahead).
MIN_DATE, MAX_DATE = dt.date(MIN_YEAR, 1, 1), dt.date(MAX_YEAR, 12, 31)
#: Dates of things that have happened (joining, eligibility, enrollment, data entry, dosimetry,
#: letters received or answered) may be at most this far after today.
PAST_EVENT_SLACK = dt.timedelta(days=366)
#: Radiation oncologists of one facility.
MAX_ONCOLOGISTS = 500
#: Free text without a length in the database (``Text`` columns such as a case's note).
MAX_TEXT_CHARS = 4000
#: Magnitude of any number read (checked before the column's own range, so no overflow).
MAX_ABS_NUMBER = 10**9


def latest_past_event(today: dt.date | None = None) -> dt.date:
    """The latest date a thing that has happened may carry."""
    return (today or dt.date.today()) + PAST_EVENT_SLACK
