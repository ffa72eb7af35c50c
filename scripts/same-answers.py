#!/usr/bin/env python3
"""Checks predict's JSON Lines answers, split over parts, against one plain run's (docs/batch.md).

    python3 scripts/same-answers.py REFERENCE.jsonl WHAT PART.jsonl...

Every photo of REFERENCE must be answered exactly once over the parts, with the same classes in
the same order and probabilities within 2e-6 (a photo's batch changes their last bits). Prints an
ok line naming WHAT and the largest difference, or exits non-zero with what differs.
"""
import json, sys
ref, what, parts = sys.argv[1], sys.argv[2], sys.argv[3:]
def read(path):
    return [json.loads(line) for line in open(path)]
want = {a["path"]: a["top"] for a in read(ref)}
got = {}
for part in parts:
    for a in read(part):
        if a["path"] in got:
            sys.exit(f"FAILED: {what}: {a['path']} answered twice")
        got[a["path"]] = a["top"]
if set(got) != set(want):
    sys.exit(f"FAILED: {what}: {len(set(got) ^ set(want))} photos differ from one plain run")
worst = 0.0
for path, top in want.items():
    if [c["class"] for c in top] != [c["class"] for c in got[path]]:
        sys.exit(f"FAILED: {what}: {path} has other classes")
    worst = max([worst] + [abs(a["probability"] - b["probability"]) for a, b in zip(top, got[path])])
if worst > 2e-6:
    sys.exit(f"FAILED: {what}: probabilities differ by {worst}")
print(f"ok: {what}: the same answers for {len(want)} photos (probabilities within {worst:.1e})")
