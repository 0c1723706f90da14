"""`--output table` for `--query`: a port of the AWS CLI's table format.

Ported from the AWS CLI (https://github.com/aws/aws-cli): awscli/formatter.py TableFormatter
and awscli/table.py MultiTable, "Copyright 2012-2013 Amazon.com, Inc. or its affiliates. All
Rights Reserved", licensed under the Apache License, Version 2.0
(https://www.apache.org/licenses/LICENSE-2.0); the port, and where it differs (below), is
revoke's. Split out of revoke.cli.query (issue 13, item 5), which re-exports format_table.
https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-output-format.html

The result is a run of sections, each titled by its key and framed one `|` deeper than its
parent: a dict is one row under its scalar keys (sorted), its other keys sub-sections; a list
of dicts is a row each (a section each when they nest); a list of scalars is a one-column
section. When the widest section is wider than the terminal, each one-row section is turned
into key/value rows (awscli's convert_to_vertical_table). Byte for byte awscli's output
wherever that fits; revoke differs where awscli drops or fails: a scalar result is a one-cell
section (awscli prints its title alone), a list that mixes dicts with other values gives each
dict a section of its own, rows of unequal length are padded; and a table still wider than
the terminal (80 columns when it is not one) is held to it, its widest columns narrowed first
and their cells folded onto more lines (awscli prints it wider), as revoke's other tables fit
the terminal (revoke.cli.render).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO


def format_table(result: Any, stream: TextIO, title: str, width: int = 80) -> None:
    """`result` as `aws --output table` prints it under `title`, within `width` columns.
    Nothing for a null or empty result (awscli prints nothing for those either)."""
    builder = _TableBuilder()
    if result is None:
        return
    if isinstance(result, dict | list):
        builder.build(title, result, 0)
    else:
        builder.new_section(title, 0)
        builder.add_row([result])
    if builder.sections:
        stream.write("".join(line + "\n" for line in _render(builder.sections, width)))


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _table_cell(value: Any) -> str:
    # str() as awscli (None, True), but a nested value as JSON rather than Python's repr
    return json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)


def _text_width(text: str) -> int:
    """Columns `text` takes: wide and ambiguous East Asian characters count two (awscli)."""
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(char) in "WFA" else 1 for char in text)


@dataclass
class _Section:
    title: str
    indent: int
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    def natural_widths(self) -> list[int]:
        lines = [self.headers, *self.rows] if self.headers else self.rows
        widths = [0] * max((len(line) for line in lines), default=0)
        for line in lines:
            for i, text in enumerate(line):
                widths[i] = max(widths[i], _text_width(text))
        return widths

    def total_width(self) -> int:
        """Its width with two spaces of padding either side of each cell, its border and
        one `|` each side per level of nesting (awscli's Section.total_width)."""
        cells = sum(w + 4 for w in self.natural_widths()) + 2 + 2 * self.indent
        return max(_text_width(self.title) + 2 + 2 * self.indent, cells)

    def column_widths(self, inner: int) -> list[int]:
        """Column widths (borders included) summing to `inner`: awscli scales the natural
        widths up to it; revoke narrows a section wider than it (awscli scales it down
        and lets the cells overflow)."""
        unscaled = [w + 4 for w in self.natural_widths()]
        if not unscaled:
            return []
        if sum(unscaled) > inner:
            return _narrowed(unscaled, inner)
        scale = inner / float(sum(unscaled))
        scaled = [int(round(scale * w)) for w in unscaled]
        off_by = sum(scaled) - inner
        while off_by != 0:
            order = range(len(scaled)) if off_by > 0 else reversed(range(len(scaled)))
            for i in order:
                if off_by > 0:
                    scaled[i] -= 1
                    off_by -= 1
                else:
                    scaled[i] += 1
                    off_by += 1
                if off_by == 0:
                    break
        return scaled


def _narrowed(widths: list[int], inner: int) -> list[int]:
    """The widest columns cut to one level, the largest that fits in `inner` (a column
    keeps room for its border, padding and one character)."""
    widths = [widths[0] + 1, *widths[1:]]  # the first column has both edges: a space after
    floors = [5] + [4] * (len(widths) - 1)

    def at(level: int) -> list[int]:
        return [max(min(w, level), floor) for w, floor in zip(widths, floors, strict=True)]

    low, high = 0, max(widths)
    while low < high:  # the largest level at which the columns fit
        middle = (low + high + 1) // 2
        if sum(at(middle)) <= inner:
            low = middle
        else:
            high = middle - 1
    cut = at(low)
    spare = inner - sum(cut)
    for i, w in enumerate(widths):
        if spare > 0 and w > cut[i]:
            cut[i] += 1
            spare -= 1
    return cut


class _TableBuilder:
    """awscli's TableFormatter._build_table, into _Sections."""

    def __init__(self) -> None:
        self.sections: list[_Section] = []

    def new_section(self, title: str, indent: int) -> None:
        self.sections.append(_Section(title, indent))

    def add_row(self, values: Sequence[Any]) -> None:
        self.sections[-1].rows.append([_table_cell(v) for v in values])

    def add_header(self, headers: list[str]) -> None:
        self.sections[-1].headers = headers

    def build(self, title: str, current: Any, indent: int) -> None:
        if not current:  # an empty list or dict (or a falsy scalar under a key): nothing
            return
        self.new_section(title, indent)
        if isinstance(current, list):
            if all(isinstance(item, dict) for item in current):
                self._from_list_of_dicts(title, current, indent)
                return
            nested = []
            for item in current:
                if _scalar(item):
                    self.add_row([item])
                elif isinstance(item, list) and all(_scalar(e) for e in item):
                    self.add_row(item)
                else:
                    nested.append(item)
            for item in nested:  # revoke: after the rows, each its own section
                self.build(title, item, indent)
        elif isinstance(current, dict):
            self._from_dict(current, indent)

    def _from_dict(self, current: dict[str, Any], indent: int) -> None:
        headers, more = _group_keys([current])
        if len(headers) == 1:  # a single scalar: one key/value row
            self.add_row([headers[0], current[headers[0]]])
        elif headers:
            self.add_header(headers)
            self.add_row([current[key] for key in headers])
        for key in more:
            self.build(key, current[key], indent + 1)

    def _from_list_of_dicts(self, title: str, current: list[Any], indent: int) -> None:
        headers, more = _group_keys(current)
        self.add_header(headers)
        for position, element in enumerate(current):
            if position and more:
                self.new_section(title, indent)
                self.add_header(headers)
            self.add_row([element.get(key, "") for key in headers])
            for key in more:
                if key in element:
                    self.build(key, element[key], indent + 1)


def _group_keys(dicts: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The keys with a scalar value in any of `dicts`, and those with a nested one, sorted."""
    scalars = {key for item in dicts for key, value in item.items() if _scalar(value)}
    nested = {key for item in dicts for key, value in item.items() if not _scalar(value)}
    return sorted(scalars), sorted(nested)


def _render(sections: list[_Section], width: int) -> list[str]:
    """awscli's MultiTable.render, held to `width` columns."""
    max_width = max(section.total_width() for section in sections)
    if max_width > width:
        sections = [_vertical(section) for section in sections]
        max_width = max(section.total_width() for section in sections)
    max_width = min(max_width, width)
    lines = ["-" * max_width]
    for section in sections:
        lines.extend(_render_section(section, max_width))
    return lines


def _vertical(section: _Section) -> _Section:
    """A one-row section as a row per column: its header, then its value."""
    if len(section.rows) != 1 or not section.headers:
        return section
    pairs = [[h, v] for h, v in zip(section.headers, section.rows[0], strict=False)]
    return _Section(section.title, section.indent, rows=pairs)


def _render_section(section: _Section, max_width: int) -> list[str]:
    inner = max_width - 2 * section.indent
    frame = "|" * section.indent
    lines: list[str] = []
    if section.title:
        if _centres(_text_width(section.title), inner, 1):
            titles = [section.title]
        else:
            titles = _fold(section.title, inner - 4)
        lines.extend(_centred(title, inner, "|") for title in titles)
        if not section.headers and not section.rows:
            lines.append("+" + "-" * (inner - 2) + "+")
    if section.headers:
        widths = section.column_widths(inner)
        lines.append(_rule(widths))
        lines.extend(_cell_lines(section.headers, widths, centred=True))
    if section.rows:
        widths = section.column_widths(inner)
        if widths:
            lines.append(_rule(widths))
            for row in section.rows:
                lines.extend(_cell_lines(row, widths, centred=False))
            lines.append(_rule(widths))
    return [frame + line + frame for line in lines]


def _rule(widths: list[int]) -> str:
    return "".join(
        "+" + "-" * (w - 2) + "+" if i == 0 else "-" * (w - 1) + "+" for i, w in enumerate(widths)
    )


def _cell_lines(cells: list[str], widths: list[int], *, centred: bool) -> list[str]:
    """One line of `cells` as awscli draws it; a cell too long for its column is folded
    onto more lines (revoke: awscli lets it overflow)."""
    padded = cells + [""] * (len(widths) - len(cells))
    parts: list[list[str]] = []
    for i, (w, text) in enumerate(zip(widths, padded, strict=False)):
        edge = 1 if i == 0 else 0
        length = _text_width(text)
        fits = _centres(length, w, edge) if centred else length <= w - edge - 1
        parts.append([text] if fits else _fold(text, w - edge - 4))
    lines = []
    for k in range(max(len(p) for p in parts)):
        line = []
        for i, (w, chunks) in enumerate(zip(widths, parts, strict=False)):
            text = chunks[k] if k < len(chunks) else ""
            left = "|" if i == 0 else ""
            line.append(_centred(text, w, left) if centred else _left(text, w, left))
        lines.append("".join(line))
    return lines


def _centres(length: int, width: int, left_edge: int) -> bool:
    """Whether awscli's center_text puts `length` columns of text in `width` exactly."""
    start = width // 2 - length // 2 - 1
    return start >= 0 and width - 1 - (left_edge + start + length) >= 0


def _centred(text: str, width: int, left_edge: str) -> str:
    """awscli's center_text, between `left_edge` and `|`."""
    length = _text_width(text)
    start = width // 2 - length // 2 - 1
    right = width - 1 - (len(left_edge) + start + length)
    return left_edge + " " * start + text + " " * right + "|"


def _left(text: str, width: int, left_edge: str) -> str:
    """awscli's align_left: two spaces of padding when they fit, between the edges."""
    length = _text_width(text)
    padding = 2 if width - (length + 2 + len(left_edge) + 1) >= 0 else 0
    return (
        left_edge
        + " " * padding
        + text
        + " " * (width - len(left_edge) - padding - length - 1)
        + "|"
    )


def _fold(text: str, size: int) -> list[str]:
    """`text` cut into lines of at most `size` columns: at a space when there is one, else
    within the word (an ARN longer than its column)."""
    size = max(size, 1)
    lines: list[str] = []
    rest = text
    while _text_width(rest) > size:
        cut = used = 0
        for char in rest:
            used += _text_width(char)
            if used > size:
                break
            cut += 1
        cut = max(cut, 1)
        space = rest.rfind(" ", 0, cut + 1)
        if space > 0:
            lines.append(rest[:space].rstrip())
            rest = rest[space:].lstrip()
        else:
            lines.append(rest[:cut])
            rest = rest[cut:]
    lines.append(rest)
    return lines
