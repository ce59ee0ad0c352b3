#!/usr/bin/env python3
"""Compares two id,summary prediction CSVs (peft4j's and Hugging Face's) document by document.

Prints "identical on N of M documents" and every difference, and writes the same as JSON
(--json FILE) so the result can be committed next to the predictions.

Example:
  python compare_predictions.py results/peft4j-lora.csv results/hf-lora.csv --json results/compare-lora.json
"""
import argparse
import csv
import json


def read(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return {r["id"]: r["summary"] for r in csv.DictReader(f)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", help="predictions CSV, e.g. peft4j summarize predict --out")
    ap.add_argument("b", help="predictions CSV, e.g. hf_predict.py --out")
    ap.add_argument("--json", help="write the comparison here")
    args = ap.parse_args()
    a, b = read(args.a), read(args.b)
    if set(a) != set(b):
        raise SystemExit(f"the files hold different ids: only in {args.a}: {sorted(set(a) - set(b))[:5]}, "
                         f"only in {args.b}: {sorted(set(b) - set(a))[:5]}")
    diffs = [{"id": i, "a": a[i], "b": b[i]} for i in sorted(a) if a[i] != b[i]]
    same = len(a) - len(diffs)
    print(f"identical on {same} of {len(a)} documents")
    for d in diffs:
        print(f"{d['id']}:\n  {args.a}: {d['a']}\n  {args.b}: {d['b']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"a": args.a, "b": args.b, "documents": len(a), "identical": same, "differences": diffs},
                      f, ensure_ascii=False, indent=2)
            f.write("\n")
    raise SystemExit(0 if not diffs else 1)


if __name__ == "__main__":
    main()
