"""Every CSV the shop writes goes through here, so that no cell can run as a formula.

A spreadsheet treats a cell that starts with = + - @ (or a tab or carriage return before
them) as a formula: a customer who names themselves `=HYPERLINK(...)` would otherwise
run code on the machine of the member of staff who opens the export (OWASP "CSV
injection"). Such text cells get a leading apostrophe, which spreadsheets show as text.
Numbers are written as numbers: a negative amount is not text and stays as it is.
"""

import csv
from collections.abc import Iterable
from pathlib import Path

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, float):
        return round(value, 6)
    return value


def safe_row(row: Iterable) -> list:
    return [safe_cell(value) for value in row]


class _Echo:
    def write(self, value):
        return value


def csv_stream(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """A CSV download streamed row by row (large exports never sit in memory)."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(safe_row(row))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(safe_row(row) for row in rows)
    return response


def write_csv_file(path, header: list[str], rows: Iterable[Iterable]) -> Path:
    """A CSV file on disk (data for the evaluation commands), with the same safe cells."""
    with Path(path).open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(safe_row(row) for row in rows)
    return Path(path)
