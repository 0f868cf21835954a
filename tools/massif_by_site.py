#!/usr/bin/env python3
"""Heap at the peak of a valgrind massif profile, grouped by the first lbsim frame of each
allocation (docs/performance.md, "Where the memory goes").

    valgrind --tool=massif --massif-out-file=massif.out target/release/lbsim serve --no-cluster ...
    python3 tools/massif_by_site.py massif.out
"""
import collections
import re
import sys

NODE = re.compile(r"^( *)n(\d+): (\d+) (.*)$")


def peak_tree(lines):
    for i, line in enumerate(lines):
        if line.strip() == "heap_tree=peak":
            out = []
            for l in lines[i + 1:]:
                if l.startswith("snapshot=") or l.startswith("#"):
                    break
                out.append(l)
            return out
    sys.exit("no peak snapshot in the file (was the process stopped with SIGTERM?)")


def main(path):
    lines = open(path).read().split("\n")
    stack, by_site = [], collections.Counter()
    for line in peak_tree(lines):
        m = NODE.match(line)
        if not m:
            continue
        depth, kids, size, what = len(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
        stack = stack[:depth] + [what]
        if kids:
            continue
        frames = [re.sub(r" \(in .*\)$", "", w.split(": ", 1)[-1]) for w in stack[1:]]
        site = next((f for f in frames if "lbsim::" in f), frames[-1] if frames else "other")
        by_site[site] += size
    for site, size in by_site.most_common(12):
        print(f"{size / 1048576:6.2f} MiB  {site[:140]}")
    print(f"{sum(by_site.values()) / 1048576:6.2f} MiB useful heap at the peak")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: massif_by_site.py MASSIF_OUT")
    main(sys.argv[1])
