#!/usr/bin/env python3
"""Greedy one-line summaries with Hugging Face transformers (+ PEFT), the way `peft4j summarize predict` writes them.

Loads a base model directory (safetensors) and, optionally, a PEFT adapter directory saved by peft4j
with `peft.PeftModel.from_pretrained`, then summarizes every row of an id,text[,summary] CSV:

- prompt ids = tokenize(text) + tokenize(" 한줄 요약:"), each with the tokenizer's special tokens, as
  peft4j's Summarizer encodes the template "{text} 한줄 요약:" piece by piece; a document too long for
  the context (max positions - max new tokens - virtual tokens - the template) loses its start;
- greedy decoding, min_new_tokens 5, max_new_tokens 48, eos = pad = config.json's eos_token_id
  (the settings of `./peft4j demo`; pass others with the flags);
- the new tokens decoded with skip_special_tokens, stripped, and cut after the first sentence
  ('.', '?', '!' not between digits, or a line break) unless --no-first-sentence.

Writes the predictions (id,summary, the format of `peft4j summarize predict --out`) and, beside them,
<out>.json with the library versions, device, date and arguments of the run.

Example:
  python hf_predict.py --base examples/demo/ko-base --adapter runs/demo/lora \
      --data examples/summarization/src/main/resources/ai/peft4j/examples/summarization/data/test.csv --out results/hf-lora.csv
"""
import argparse
import csv
import datetime
import json
import platform
import sys

import torch
import tokenizers
import transformers
from transformers import AutoModelForCausalLM

TEMPLATE_TAIL = " 한줄 요약:"


def first_sentence(text):
    t = text.strip()
    for i, c in enumerate(t):
        if c == "\n":
            return t[:i].strip()
        end = c in ".?!"
        decimal = c == "." and 0 < i < len(t) - 1 and t[i - 1].isdigit() and t[i + 1].isdigit()
        if end and not decimal:
            return t[: i + 1].strip()
    return t


def read_rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="base model directory (config.json, model.safetensors, tokenizer.json)")
    ap.add_argument("--adapter", help="PEFT adapter directory; omit for the base model alone")
    ap.add_argument("--data", required=True, help="id,text[,summary] CSV")
    ap.add_argument("--out", required=True, help="predictions CSV (id,summary)")
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--min-new-tokens", type=int, default=5)
    ap.add_argument("--no-first-sentence", action="store_true")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()

    # The same Rust tokenizer library peft4j calls through DJL, on the same tokenizer.json.
    tok = tokenizers.Tokenizer.from_file(f"{args.base}/tokenizer.json")
    model = AutoModelForCausalLM.from_pretrained(args.base, dtype=torch.float32, attn_implementation="eager")
    peft_version = None
    virtual = 0
    if args.adapter:
        import peft
        from peft import PeftModel

        peft_version = peft.__version__
        model = PeftModel.from_pretrained(model, args.adapter)
        cfg = model.peft_config["default"]
        if cfg.is_prompt_learning:
            virtual = cfg.num_virtual_tokens
    model.to(args.device).eval()
    eos = model.config.eos_token_id
    max_pos = model.config.max_position_embeddings

    tail = tok.encode(TEMPLATE_TAIL).ids
    rows = read_rows(args.data)
    out_rows = []
    truncated = 0
    for r in rows:
        doc = tok.encode(r["text"]).ids
        budget = max_pos - args.max_new_tokens - virtual - len(tail)
        if len(doc) > budget:
            doc = doc[len(doc) - budget :]
            truncated += 1
        ids = torch.tensor([doc + tail], device=args.device)
        with torch.no_grad():
            gen = model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                do_sample=False,
                num_beams=1,
                max_new_tokens=args.max_new_tokens,
                min_new_tokens=args.min_new_tokens,
                eos_token_id=eos,
                pad_token_id=eos,
            )
        new = gen[0, ids.shape[1] :].tolist()
        while new and new[-1] == eos:
            new.pop()
        text = tok.decode(new, skip_special_tokens=True).strip()
        out_rows.append({"id": r["id"], "summary": text if args.no_first_sentence else first_sentence(text)})

    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "summary"], lineterminator="\n")
        w.writeheader()
        w.writerows(out_rows)
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "peft": peft_version,
        "device": args.device if args.device == "cpu" else torch.cuda.get_device_name(0),
        "documents": len(out_rows),
        "documents_cut_from_the_start": truncated,
    }
    with open(args.out + ".json", "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"wrote {len(out_rows)} summaries to {args.out} ({truncated} documents cut to fit)")


if __name__ == "__main__":
    main()
