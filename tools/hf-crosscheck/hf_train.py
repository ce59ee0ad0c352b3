#!/usr/bin/env python3
"""Trains a LoRA or prompt-tuning adapter with Hugging Face PEFT on the demo's summarization data,
with the settings `./peft4j demo` uses, and saves it with PEFT's save_pretrained.

This is the Hugging Face side of "is peft4j's training as good as PEFT's?": score the adapter it
writes with hf_predict.py and `peft4j rouge`, and compare with the demo's own table. The recipe
follows peft4j's trainer, not its exact batches:

- examples: prompt "{text} 한줄 요약:" (with the tokenizer's special tokens) + completion " {summary}"
  (without) + EOS; labels -100 over the prompt; a prompt too long for the context is cut from the left;
- AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0), a linear schedule with 5% warm-up, batch 8,
  global-norm clipping at 1.0, seed 42;
- lora: r 16, alpha 32, dropout 0, all-linear, lr 5e-3, 3 epochs (the demo's LoRA);
- prompt-tuning: 20 virtual tokens, TEXT init "다음 문서를 한 줄로 요약하세요:", lr 0.3, 6 epochs.

peft4j buckets batches by length and shuffles with its own seeded generator, so the losses and the
adapter differ from peft4j's in detail; compare the ROUGE scores, not the weights.

Example:
  python hf_train.py --base examples/demo/ko-base --method lora \
      --data examples/summarization/src/main/resources/ai/peft4j/examples/summarization/data/train.csv --out results/hf-trained-lora
"""
import argparse
import csv
import datetime
import json
import math
import platform
import random
import sys

import peft
import tokenizers
import torch
import transformers
from peft import LoraConfig, PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model
from transformers import AutoModelForCausalLM

INIT_TEXT = "다음 문서를 한 줄로 요약하세요:"


def examples(path, tok, eos, max_len):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    out, cut = [], 0
    for r in rows:
        prompt = tok.encode(f"{r['text']} 한줄 요약:", add_special_tokens=True).ids
        completion = tok.encode(f" {r['summary']}", add_special_tokens=False).ids
        room = max_len - len(completion) - 1
        if room < 1:
            continue
        if len(prompt) > room:
            prompt = prompt[len(prompt) - room :]
            cut += 1
        ids = prompt + completion + [eos]
        out.append((ids, [-100] * len(prompt) + completion + [eos]))
    return out, cut


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True)
    ap.add_argument("--method", choices=["lora", "prompt-tuning"], required=True)
    ap.add_argument("--data", required=True, help="train.csv (id,text,summary)")
    ap.add_argument("--out", required=True, help="adapter directory to write")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--virtual-tokens", type=int, default=20)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    epochs = args.epochs or (3 if args.method == "lora" else 6)
    lr = args.lr or (5e-3 if args.method == "lora" else 0.3)

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    tok = tokenizers.Tokenizer.from_file(f"{args.base}/tokenizer.json")
    model = AutoModelForCausalLM.from_pretrained(args.base, dtype=torch.float32, attn_implementation="eager")
    eos = model.config.eos_token_id
    if args.method == "lora":
        cfg = LoraConfig(task_type=TaskType.CAUSAL_LM, r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear")
        virtual = 0
    else:
        cfg = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=args.virtual_tokens,
                                 prompt_tuning_init=PromptTuningInit.TEXT, prompt_tuning_init_text=INIT_TEXT,
                                 tokenizer_name_or_path=args.base)
        virtual = args.virtual_tokens
    model = get_peft_model(model, cfg).to(args.device)
    model.print_trainable_parameters()

    data, cut = examples(args.data, tok, eos, model.config.max_position_embeddings - virtual)
    steps_per_epoch = math.ceil(len(data) / args.batch)
    total = steps_per_epoch * epochs
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=0.0)
    warm = math.ceil(0.05 * total)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))
    model.train()
    step, losses = 0, []
    for epoch in range(epochs):
        order = list(range(len(data)))
        random.shuffle(order)
        for b in range(0, len(order), args.batch):
            batch = [data[i] for i in order[b : b + args.batch]]
            width = max(len(ids) for ids, _ in batch)
            ids = torch.full((len(batch), width), eos, dtype=torch.long)
            labels = torch.full((len(batch), width), -100, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for k, (x, y) in enumerate(batch):  # right padding; pads are masked and unlabelled
                ids[k, : len(x)] = torch.tensor(x)
                labels[k, : len(y)] = torch.tensor(y)
                mask[k, : len(x)] = 1
            out = model(input_ids=ids.to(args.device), attention_mask=mask.to(args.device), labels=labels.to(args.device))
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            losses.append(out.loss.item())
            if step % 50 == 0 or step == total:
                print(f"epoch {epoch + 1} step {step}/{total} loss {sum(losses[-50:]) / len(losses[-50:]):.4f}", flush=True)
    model.save_pretrained(args.out)
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "peft": peft.__version__,
        "device": args.device if args.device == "cpu" else torch.cuda.get_device_name(0),
        "examples": len(data),
        "prompts_cut_from_the_left": cut,
        "steps": step,
        "epochs": epochs,
        "lr": lr,
        "final_loss_mean_of_last_50": sum(losses[-50:]) / max(1, len(losses[-50:])),
    }
    with open(f"{args.out}/hf_train.json", "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"saved the adapter to {args.out}")


if __name__ == "__main__":
    main()
