#!/usr/bin/env python3
"""Which files of a folder call each other in a circle (docs/architecture.md, "signaling/").

Reads every .c file under the folders given (default: signaling), finds the exported
functions each defines (a name at the start of a line followed by "(" and, on a later
line, "{"), and which of them every other file uses. Prints the include graph between
sub-folders and each set of files that call each other in a circle (a strongly
connected component of more than one file)."""
import os
import re
import sys

roots = sys.argv[1:] or ["signaling"]
files = []
for root in roots:
    for d, _, names in os.walk(root):
        files += [os.path.join(d, n) for n in names if n.endswith((".c", ".h"))]
src = {f: open(f, encoding="utf-8").read() for f in files}
defined = {}
for f, s in src.items():
    if not f.endswith(".c"):
        continue
    for m in re.finditer(r"^[a-z][^\n;{}()]*?\b(tb_[a-z0-9_]+)\([^;{]*?\)\s*\n\{", s, re.M):
        defined[m.group(1)] = f
edges = {f: set() for f in src if f.endswith(".c")}
for f, s in src.items():
    if not f.endswith(".c"):
        continue
    for name in set(re.findall(r"\b(tb_[a-z0-9_]+)\b", s)):
        g = defined.get(name)
        if g and g != f:
            edges[f].add(g)

# Tarjan's strongly connected components.
index, low, on, stack, sccs, n = {}, {}, set(), [], [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1
    stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in sorted(edges):
    if v not in index:
        visit(v)

incl = {}
for f, s in src.items():
    a = os.path.dirname(f)
    for m in re.finditer(r'#include "(signaling/[^"]+)"', s):
        b = os.path.dirname(m.group(1))
        if a != b:
            incl.setdefault(a, set()).add(b)
print("includes between folders:")
for a in sorted(incl):
    print("  %s -> %s" % (a, ", ".join(sorted(incl[a]))))
big = [c for c in sccs if len(c) > 1]
print("files calling each other in a circle:" + ("" if big else " none"))
for c in sorted(big, key=len, reverse=True):
    print("  %d: %s" % (len(c), " ".join(c)))
