package ai.peft4j.examples.cli;

import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.model.ParameterCounts;
import ai.peft4j.lora.LoraTargets;
import java.util.List;

/**
 * Rough memory needs of a model, from its config alone. All tensors are counted as fp32 (4 bytes),
 * because peft4j widens F16/BF16 weights to fp32 on load.
 *
 * <ul>
 *   <li>inference = weights + KV cache; weights = 4·P; KV cache = 4 · 2 · layers · kv_heads ·
 *       head_dim · batch · context.</li>
 *   <li>LoRA training = weights + activations + LoRA state; activations = 4 · B · T ·
 *       (layers · (10·hidden + 3·intermediate + 2·heads·T) + 2·vocab), i.e. what the backward pass
 *       keeps per token and layer (norm inputs, q/k/v, context, MLP intermediates, attention
 *       probabilities) plus the logits and their gradient, with no activation checkpointing;
 *       LoRA state = 16 · P_lora (fp32 value, gradient and two AdamW moments), P_lora = Σ r·(in+out)
 *       over the architecture's default LoRA targets.</li>
 * </ul>
 *
 * <pre>{@code
 * MemoryEstimate m = MemoryEstimate.of(arch, cfg, 1, cfg.maxPositions(), 4, 256, 8);
 * System.out.println(MemoryEstimate.human(m.inferenceBytes()));
 * }</pre>
 */
public record MemoryEstimate(long parameters, long weightBytes, int kvBatch, int kvContext, long kvCacheBytes,
        int trainBatch, int trainSeq, int loraRank, List<String> loraTargets, long loraParameters,
        long activationBytes, long loraStateBytes) {

    /** Bytes of one fp32 element. */
    static final long FP32 = 4;

    public static MemoryEstimate of(Architecture arch, DecoderConfig cfg, int kvBatch, int kvContext, int trainBatch,
            int trainSeq, int loraRank) {
        long params = ParameterCounts.total(arch, cfg);
        long weights = FP32 * params;
        long kv = FP32 * 2L * cfg.numLayers() * cfg.numKvHeads() * cfg.headDim() * kvBatch * kvContext;
        List<String> targets = LoraTargets.defaultTargets(cfg.modelType());
        long lora = 0;
        for (LinearSite s : arch.linearSites(cfg)) {
            if (targets.contains(s.shortName())) {
                lora += (long) loraRank * (s.inFeatures() + s.outFeatures());
            }
        }
        long perToken = (long) cfg.numLayers() * (10L * cfg.hiddenSize() + 3L * cfg.intermediateSize()
                + 2L * cfg.numHeads() * trainSeq) + 2L * cfg.vocabSize();
        long activations = FP32 * trainBatch * trainSeq * perToken;
        return new MemoryEstimate(params, weights, kvBatch, kvContext, kv, trainBatch, trainSeq, loraRank,
                List.copyOf(targets), lora, activations, 4 * FP32 * lora);
    }

    public long inferenceBytes() {
        return weightBytes + kvCacheBytes;
    }

    public long trainingBytes() {
        return weightBytes + activationBytes + loraStateBytes;
    }

    /** Bytes in binary units with two decimals: {@code 1.50 GiB}. */
    public static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(java.util.Locale.ROOT, "%.2f %s", v, units[u]);
    }

    /** A count with a short scale: {@code 6.17B}, {@code 125.2M}, {@code 98.5K}. */
    public static String shortCount(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(java.util.Locale.ROOT, "%.2fB", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(java.util.Locale.ROOT, "%.1fM", n / 1e6);
        }
        if (n >= 1_000L) {
            return String.format(java.util.Locale.ROOT, "%.1fK", n / 1e3);
        }
        return Long.toString(n);
    }
}
