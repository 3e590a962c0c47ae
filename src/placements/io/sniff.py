"""What a file that should be CSV text really is, from its first bytes.

A council's files pass through Excel: a workbook renamed ``.csv``, or saved as "Unicode Text", reads
as garbage or as "not UTF-8 text". The signatures below let the readers say what the file is and how
to save it instead.
"""

from __future__ import annotations

import io
import zipfile

#: How to get CSV text out of a spreadsheet program, said once for every message.
SAVE_AS_CSV = "open it in Excel and save it as 'CSV UTF-8 (Comma delimited) (*.csv)'"

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File Binary: .xls (and other old Office files)
_UTF16 = (b"\xff\xfe", b"\xfe\xff")


def not_text(raw: bytes) -> str | None:
    """A sentence saying what ``raw`` is when it is a spreadsheet or UTF-16 text rather than CSV, else None."""
    if raw.startswith(_ZIP):
        kind = "a ZIP archive (as an Excel workbook is)"
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                names = set(z.namelist())
                mimetype = z.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except (zipfile.BadZipFile, OSError, KeyError):
            names, mimetype = set(), ""
        if any(n.startswith("xl/") for n in names):
            kind = "an Excel workbook (.xlsx)"
        elif "opendocument.spreadsheet" in mimetype:
            kind = "an OpenDocument spreadsheet (.ods)"
        return f"this looks like {kind}, not CSV text; {SAVE_AS_CSV}"
    if raw.startswith(_OLE):
        return f"this looks like an Excel 97-2003 workbook (.xls), not CSV text; {SAVE_AS_CSV}"
    if raw.startswith(_UTF16):
        return f"this is UTF-16 text (Excel's 'Unicode Text' is tab-separated), not CSV UTF-8; {SAVE_AS_CSV}"
    return None
