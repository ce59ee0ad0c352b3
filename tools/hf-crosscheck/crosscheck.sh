#!/usr/bin/env bash
# The Hugging Face cross-check of the demo's saved adapters: Hugging Face transformers + PEFT load the
# adapters `./peft4j demo` saved (PeftModel.from_pretrained) and write greedy summaries of the
# 200-document test split, which are compared with peft4j's own, document by document.
#
#   tools/hf-crosscheck/crosscheck.sh peft4j  RESULTS   # where Java runs: demo adapters + peft4j predictions
#   tools/hf-crosscheck/crosscheck.sh hf      RESULTS   # where transformers and peft are installed
#   tools/hf-crosscheck/crosscheck.sh compare RESULTS   # anywhere with Python 3
#
# RESULTS is a directory (for example tools/hf-crosscheck/results/2026-12-02); copy it between the
# machines together with runs/demo if the two steps run on different ones. Commit it afterwards:
# the README's cross-check figures quote only what a committed RESULTS directory holds.
set -euo pipefail
ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
step="${1:?usage: crosscheck.sh peft4j|hf|compare RESULTS}"
OUT="${2:?usage: crosscheck.sh peft4j|hf|compare RESULTS}"
BASE="$ROOT/examples/demo/ko-base"
DATA="$ROOT/examples/summarization/src/main/resources/ai/peft4j/examples/summarization/data/test.csv"
RUNS="${RUNS:-$ROOT/runs/demo}"
HERE="$ROOT/tools/hf-crosscheck"
mkdir -p "$OUT"

case "$step" in
  peft4j)
    if [ ! -f "$RUNS/lora/adapter_config.json" ] || [ ! -f "$RUNS/prompt-tuning/adapter_config.json" ]; then
      "$ROOT/peft4j" demo --out "$RUNS" --no-progress | tee "$OUT/demo.txt"
    fi
    cp -r "$RUNS/lora" "$OUT/adapter-lora"
    cp -r "$RUNS/prompt-tuning" "$OUT/adapter-prompt-tuning"
    # the demo's decoding: greedy, 5 to 48 new tokens, first sentence kept
    flags=(--data "$DATA" --max-new-tokens 48 --min-new-tokens 5 --first-sentence)
    "$ROOT/peft4j" summarize predict --model "$BASE" "${flags[@]}" --out "$OUT/peft4j-base.csv"
    "$ROOT/peft4j" summarize predict --model "$BASE" --adapter "$OUT/adapter-lora" "${flags[@]}" --out "$OUT/peft4j-lora.csv"
    "$ROOT/peft4j" summarize predict --model "$BASE" --adapter "$OUT/adapter-prompt-tuning" "${flags[@]}" \
      --out "$OUT/peft4j-prompt-tuning.csv"
    { date -u +%Y-%m-%dT%H:%M:%SZ; git -C "$ROOT" rev-parse HEAD; java -version 2>&1; } > "$OUT/peft4j-versions.txt"
    ;;
  hf)
    python3 "$HERE/hf_predict.py" --base "$BASE" --data "$DATA" --out "$OUT/hf-base.csv"
    python3 "$HERE/hf_predict.py" --base "$BASE" --adapter "$OUT/adapter-lora" --data "$DATA" --out "$OUT/hf-lora.csv"
    python3 "$HERE/hf_predict.py" --base "$BASE" --adapter "$OUT/adapter-prompt-tuning" --data "$DATA" \
      --out "$OUT/hf-prompt-tuning.csv"
    ;;
  compare)
    status=0
    for m in base lora prompt-tuning; do
      python3 "$HERE/compare_predictions.py" "$OUT/peft4j-$m.csv" "$OUT/hf-$m.csv" --json "$OUT/compare-$m.json" \
        > "$OUT/compare-$m.txt" || status=1
      echo "$m: $(head -1 "$OUT/compare-$m.txt")"
    done
    exit $status
    ;;
  *)
    echo "unknown step '$step': use peft4j, hf or compare" >&2
    exit 2
    ;;
esac
