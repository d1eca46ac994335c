#!/usr/bin/env python3
"""Size figures of a Rust source tree, for docs/architecture.md.

Usage: python3 tests/tools/code_metrics.py [SRC_DIR]   (default: src)

Prints the longest function, the largest file, the number of offset-paging loops
(places that advance a `start` offset by a page) and the number of `pub` items
(declarations marked plain `pub`, not `pub(crate)`/`pub(super)`). It relies on rustfmt
layout: a function ends at the first `}` line at its own indentation.
"""
import pathlib
import re
import sys

FN = re.compile(r"^(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")
PUB = re.compile(r"^\s*pub\s+(async\s+)?(fn|struct|enum|mod|type|const|static|trait|use)\b")
PAGING = re.compile(r"\bstart\s*\+=")


def functions(lines):
    for i, line in enumerate(lines):
        m = FN.match(line)
        if not m or line.rstrip().endswith(";"):
            continue
        indent = m.group(1)
        for j in range(i, len(lines)):
            if lines[j].rstrip() == indent + "}" or (j == i and line.rstrip().endswith("}")):
                yield m.group(7), i + 1, j - i + 1
                break


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    longest, largest, loops, pubs = (None, 0), (None, 0), 0, 0
    for path in sorted(root.rglob("*.rs")):
        lines = path.read_text().splitlines()
        if len(lines) > largest[1]:
            largest = (str(path), len(lines))
        for name, line, n in functions(lines):
            if n > longest[1]:
                longest = (f"{path}:{line} {name}", n)
        loops += sum(1 for l in lines if PAGING.search(l))
        pubs += sum(1 for l in lines if PUB.match(l))
    print(f"longest function: {longest[1]} lines ({longest[0]})")
    print(f"largest file: {largest[1]} lines ({largest[0]})")
    print(f"paging loops (`start +=`): {loops}")
    print(f"plain `pub` items: {pubs}")


main()
