#!/usr/bin/env python3
"""Classifies many photos by calling `cnnfilter predict --json` from Python (the recipe in docs/batch.md).

    python3 scripts/predict-from-python.py CNNFILTER MODEL PHOTO_DIR [PREDICT OPTIONS...]

Finds the JPEGs and PNGs under PHOTO_DIR, passes their names on standard input
(NUL-separated, so any name works), reads the answers as they come, one JSON object
a line, and prints each photo's top class and its probability, then the photos that
failed. Exit status 1 if any failed. Options after PHOTO_DIR go to predict as they are
(--preset imagenet --labels imagenet for torchvision's ImageNet models, say).
cnnfilter's progress lines and summary go to this script's stderr.
"""
import json
import os
import subprocess
import sys


def predict(cnnfilter, model, photo_dir, options=()):
    names = sorted(os.path.relpath(os.path.join(d, f), photo_dir)
                   for d, _, files in os.walk(photo_dir) for f in files
                   if f.lower().endswith((".jpg", ".jpeg", ".png")))
    listing = b"".join(n.encode() + b"\0" for n in names)
    proc = subprocess.Popen([cnnfilter, "predict", os.path.abspath(model), "--files-from", "-", "-0", "--json",
                             *options], cwd=photo_dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    # The list goes in first (cnnfilter reads all of it before it starts); the answers then come
    # a batch at a time, in the list's order. Its stderr (progress, the summary) stays this
    # script's: a pipe nobody reads would fill up and stop it.
    proc.stdin.write(listing)
    proc.stdin.close()
    answers, failures = {}, {}
    for line in proc.stdout:
        answer = json.loads(line)
        if "error" in answer:
            failures[answer["path"]] = answer["error"]
        else:
            answers[answer["path"]] = answer["top"]
    status = proc.wait()
    if status not in (0, 1) or len(answers) + len(failures) != len(names):
        raise RuntimeError(f"cnnfilter stopped early (exit status {status})")
    return answers, failures


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    answers, failures = predict(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
    for path, top in answers.items():
        best = top[0]
        print(f"{path}\t{best['name'] or best['class']}\t{best['probability']:.4f}")
    for path, error in failures.items():
        print("failed:", error)
    sys.exit(1 if failures else 0)
