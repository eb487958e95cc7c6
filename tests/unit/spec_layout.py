# SPDX-License-Identifier: MIT
"""Check the layout tables of SPECIFICATION.md against src/format.h.

usage: spec_layout.py DUMP SPEC FORMAT_H

DUMP is the spec_layout_dump program (tests/unit/spec_layout_dump.c): it
prints every on-segment struct as the compiler lays it out.  SPEC is
SPECIFICATION.md and FORMAT_H is src/format.h, read only to learn which
structs it defines.  Exit 0 when they agree, 1 with a list of every
disagreement otherwise.

What is checked:
- every struct of format.h is dumped, and its dumped members cover it
  byte for byte (a member missing from the dump's list shows as a gap);
- every dumped struct names a heading of the specification that holds
  exactly one layout table (a table whose first column is "offset");
- in that table, every row whose offset is a plain integer and whose
  field is a member has that member's offset, type and width, and every
  member has such a row;
- a row at a plain integer offset that is not a member must be the first
  variable-size section (data, side array), which starts where the header
  ends, at sizeof(header); a row at "N + expression" (a later section)
  must have N = sizeof(header), since sections follow the header;
- every layout table belongs to a dumped struct's section, so a new
  structure's table cannot go unchecked;
- a companion table ("index | offset in the companion") places
  eventcount i at i * sizeof(eventcount).
Rows whose offset is any other expression, and tables of something that
has no struct (a Map slot: "offset in slot"), are listed as skipped.
"""

import os
import re
import subprocess
import sys

SCALAR = re.compile(r"^(u|i)(8|16|32|64)$")
ARRAY = re.compile(r"^(char|u8|u16|u32|u64|i8|i16|i32|i64)\[(\d+)\]$")
ELEM_SIZE = {"char": 1, "u8": 1, "i8": 1, "u16": 2, "i16": 2,
             "u32": 4, "i32": 4, "u64": 8, "i64": 8}
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
NUMBER = re.compile(r"^\d+(\.\d+)*\.?\s+")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*")
CONST_PLUS = re.compile(r"^(\d+)\s*\+\s*(\S.*)$")
TYPE_IN_TEXT = re.compile(r"^`?((?:u|i)(?:8|16|32|64))`?\s*:")
EVENTCOUNT = "zeroipc_fmt_eventcount"
SPEC = "SPECIFICATION.md"  # as named in messages; set from the argument


def type_width(t):
    """Bytes of a fixed-size type, or None for a variable-size one."""
    m = SCALAR.match(t)
    if m:
        return int(m.group(2)) // 8
    m = ARRAY.match(t)
    if m:
        return ELEM_SIZE[m.group(1)] * int(m.group(2))
    return None


def plain(cell):
    return cell.replace("`", "").strip()


def is_int(s):
    return re.fullmatch(r"\d+", s) is not None


class Struct:
    def __init__(self, section, name, size):
        self.section = section
        self.name = name
        self.size = size
        self.fields = {}  # member -> (offset, size, type)


def read_dump(path):
    try:
        out = subprocess.run([path], check=True, capture_output=True,
                             text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as e:
        sys.exit(f"spec_layout: cannot run {path}: {e}")
    structs = {}
    for line in out.stdout.splitlines():
        rec = line.split("\t")
        if rec[0] == "struct" and len(rec) == 4:
            structs[rec[2]] = Struct(rec[1], rec[2], int(rec[3]))
        elif rec[0] == "field" and len(rec) == 7:
            s = structs[rec[2]]
            s.fields[rec[3]] = (int(rec[4]), int(rec[5]), rec[6])
        else:
            sys.exit(f"spec_layout: unexpected dump line: {line!r}")
    return structs


def format_h_structs(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.findall(r"\bstruct\s+(\w+)\s*\{", text)


def split_row(line):
    """Cells of a markdown table row; "\\|" inside a cell is a literal bar."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [c.replace("\\|", "|").strip()
            for c in re.split(r"(?<!\\)\|", body)]


class Table:
    def __init__(self, line, headings, header, rows):
        self.line = line          # 1-based line of the header row
        self.headings = headings  # [(level, title, line)], outermost first
        self.header = [plain(h).lower() for h in header]
        self.rows = rows          # [(line, cells)]

    def where(self):
        titles = " / ".join(t for _, t, _ in self.headings) or "(top)"
        return f"{SPEC}:{self.line} ({titles})"


def read_spec(path):
    """Headings [(level, title, line)] and tables of a markdown file."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    headings, tables, stack = [], [], []
    fenced = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            fenced = not fenced
            i += 1
            continue
        m = None if fenced else HEADING.match(line)
        if m:
            level = len(m.group(1))
            title = NUMBER.sub("", m.group(2)).strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title, i + 1))
            headings.append((level, title, i + 1))
            i += 1
            continue
        if (not fenced and line.startswith("|") and i + 1 < len(lines)
                and re.fullmatch(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*",
                                 lines[i + 1].strip())):
            start = i
            header = split_row(line)
            i += 2
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append((i + 1, split_row(lines[i])))
                i += 1
            tables.append(Table(start + 1, list(stack), header, rows))
            continue
        i += 1
    return headings, tables


class Checker:
    def __init__(self):
        self.errors = []
        self.skipped = []
        self.checked = 0

    def error(self, msg):
        self.errors.append(msg)

    def check_coverage(self, s):
        """The dumped members tile the struct: no gap, no overlap."""
        at = 0
        for name, (off, size, _) in sorted(s.fields.items(),
                                           key=lambda kv: kv[1][0]):
            if off > at:
                self.error(f"format.h: struct {s.name}: bytes {at}..{off - 1}"
                           f" are no listed member; a member is missing from"
                           f" tests/unit/spec_layout_dump.c")
            elif off < at:
                self.error(f"format.h: struct {s.name}: member {name} at"
                           f" {off} overlaps the member before it")
            at = max(at, off + size)
        if at < s.size:
            self.error(f"format.h: struct {s.name}: bytes {at}..{s.size - 1}"
                       f" of {s.size} are no listed member; a member is"
                       f" missing from tests/unit/spec_layout_dump.c")

    def row_type(self, where, cols, cells):
        """(type or None, width or None) of a row, from "type" or "size"."""
        def cell(name):
            j = cols.get(name)
            return plain(cells[j]) if j is not None and j < len(cells) else ""
        if "type" in cols:
            typ = cell("type")
            return typ, type_width(typ)
        size = cell("size")
        m = TYPE_IN_TEXT.match(cell("meaning"))
        typ = m.group(1) if m else None
        width = int(size) if is_int(size) else None
        if typ is not None and width is not None and type_width(typ) != width:
            self.error(f"{where}: size {width} but type {typ}")
        if width is None and typ is not None and not size:
            width = type_width(typ)
        return typ, width

    def check_table(self, t, s):
        cols = {h: j for j, h in enumerate(t.header)}
        if "field" not in cols:
            self.error(f"{t.where()}: layout table has no 'field' column")
            return
        seen = {}
        first_data = None
        for line, cells in t.rows:
            if len(cells) < len(t.header):
                self.error(f"{SPEC}:{line}: row has"
                           f" {len(cells)} cells, header has"
                           f" {len(t.header)}")
                continue
            offset = plain(cells[cols["offset"]])
            m = IDENT.match(plain(cells[cols["field"]]))
            field = m.group(0) if m else plain(cells[cols["field"]])
            where = f"{SPEC}:{line}: {s.section}: {field}"
            typ, width = self.row_type(where, cols, cells)
            if field in s.fields:
                c_off, c_size, c_type = s.fields[field]
                if field in seen:
                    self.error(f"{where}: listed twice (also line"
                               f" {seen[field]})")
                    continue
                seen[field] = line
                if not is_int(offset):
                    self.error(f"{where}: offset '{offset}' is not a"
                               f" number; format.h: {c_off}")
                    continue
                if int(offset) != c_off:
                    self.error(f"{where}: offset {offset} in the spec,"
                               f" {c_off} in format.h ({s.name}.{field})")
                if typ is not None and typ != c_type:
                    self.error(f"{where}: type {typ} in the spec, {c_type}"
                               f" in format.h ({s.name}.{field})")
                if width != c_size:
                    self.error(f"{where}: width {width} in the spec,"
                               f" {c_size} in format.h ({s.name}.{field})")
                self.checked += 1
                continue
            if is_int(offset):
                if width is not None:
                    self.error(f"{where}: fixed-size row at offset {offset}"
                               f" has no member in struct {s.name}"
                               f" (format.h)")
                elif first_data is None:
                    first_data = line
                    if int(offset) != s.size:
                        self.error(f"{where}: the first section after the"
                                   f" header is at {offset} in the spec;"
                                   f" sizeof(struct {s.name}) is {s.size}")
                    else:
                        self.checked += 1
                else:
                    self.skipped.append(f"{where}: second variable-size row"
                                        f" at a fixed offset {offset}")
                continue
            m = CONST_PLUS.match(offset)
            if m:
                if int(m.group(1)) != s.size:
                    self.error(f"{where}: offset '{offset}' starts from"
                               f" {m.group(1)}; sections follow the"
                               f" header, sizeof(struct {s.name}) is"
                               f" {s.size}")
                else:
                    self.checked += 1
                continue
            self.skipped.append(f"{where}: offset '{offset}' not computable")
        for field, (c_off, _, c_type) in s.fields.items():
            if field not in seen:
                self.error(f"{t.where()}: {s.section}: no row for"
                           f" {s.name}.{field} ({c_type} at {c_off} in"
                           f" format.h)")

    def check_companion(self, t, ec):
        """Eventcount i of a companion entry sits at i * sizeof."""
        for line, cells in t.rows:
            idx = re.match(r"\s*(\d+)", plain(cells[0]))
            off = plain(cells[1]) if len(cells) > 1 else ""
            if not idx or not is_int(off):
                self.error(f"{SPEC}:{line}: companion row"
                           f" '{cells[0]}' / '{off}' is not 'index |"
                           f" offset'")
                continue
            want = int(idx.group(1)) * ec.size
            if int(off) != want:
                self.error(f"{SPEC}:{line}: eventcount"
                           f" {idx.group(1)} at {off} in the spec; at"
                           f" {idx.group(1)} * sizeof(struct {ec.name}) ="
                           f" {want} in the code")
            else:
                self.checked += 1


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    dump_path, spec_path, format_path = argv[1:]
    global SPEC
    SPEC = os.path.basename(spec_path)
    structs = read_dump(dump_path)
    headings, tables = read_spec(spec_path)
    ck = Checker()

    for name in format_h_structs(format_path):
        if name not in structs:
            ck.error(f"format.h: struct {name} is not in"
                     f" tests/unit/spec_layout_dump.c, so no spec table"
                     f" is checked against it")

    for s in structs.values():
        ck.check_coverage(s)

    # Each dumped struct's section: one heading, one layout table.
    by_section = {}
    for s in structs.values():
        found = [h for h in headings if h[1] == s.section]
        if len(found) != 1:
            ck.error(f"{SPEC}: {len(found)} headings titled"
                     f" '{s.section}' (struct {s.name} needs exactly one)")
            continue
        by_section[found[0]] = s

    claimed = {s.name: [] for s in structs.values()}
    for t in tables:
        owner = None
        for h in reversed(t.headings):
            if h in by_section:
                owner = by_section[h]
                break
        first = t.header[0] if t.header else ""
        if first == "offset":
            if owner is None:
                ck.error(f"{t.where()}: layout table in"
                         f" no section that tests/unit/spec_layout_dump.c"
                         f" maps to a struct; add the struct to format.h"
                         f" and the dump")
                continue
            claimed[owner.name].append(t)
            ck.check_table(t, owner)
        elif (first == "index" and len(t.header) > 1
              and t.header[1].startswith("offset in the companion")):
            if EVENTCOUNT in structs:
                ck.check_companion(t, structs[EVENTCOUNT])
            else:
                ck.error(f"{t.where()}: companion table but no"
                         f" {EVENTCOUNT} in the dump")
        elif first.startswith("offset"):
            ck.skipped.append(f"{t.where()}: table"
                              f" '{first}' describes no struct of"
                              f" format.h")

    for s in structs.values():
        n = len(claimed[s.name])
        if n != 1 and any(h[1] == s.section for h in headings):
            ck.error(f"{SPEC}: section '{s.section}' has {n}"
                     f" layout tables (first column 'offset'); struct"
                     f" {s.name} needs exactly one")

    for msg in ck.skipped:
        print(f"skipped: {msg}")
    if ck.errors:
        print(f"spec_layout: {len(ck.errors)} disagreement(s) between"
              f" {spec_path} and format.h:")
        for msg in ck.errors:
            print(f"  {msg}")
        return 1
    print(f"spec_layout: {ck.checked} rows of {len(structs)} structs agree"
          f" with format.h")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
