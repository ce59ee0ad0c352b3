package ai.peft4j.examples.cli;

import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.model.ParameterCounts;
import ai.peft4j.api.quant.Quantization;
import ai.peft4j.lora.LoraTargets;
import java.util.ArrayList;
import java.util.List;

/**
 * Memory needs of a model from its config alone, for each way the base can be held (float32,
 * float16, int8, int4) and with activation checkpointing off and on. In bytes, with P parameters,
 * P_lin of them in the linear layers, L layers, h hidden, I intermediate, V vocab, B x T the
 * training batch:
 *
 * <ul>
 *   <li>weights: float32 {@code 4P}; float16 {@code 2P}; int8 {@code P_lin + 4 out} per linear
 *       layer plus the rest at rest precision; int4 {@code P_lin / 2 + 4 P_lin / 32} likewise.
 *   <li>every total adds 200 MiB for the JVM and libtorch (measured at load).
 *   <li>inference = weights + one block's linear weights widened to float32 (not for float32)
 *       + KV cache {@code 4 · 2 · L · kv_heads · head_dim · batch · context}.
 *   <li>LoRA training = weights + activations + LoRA state ({@code 16 · P_lora}: value, gradient,
 *       two AdamW moments). Activations without checkpointing: {@code 4 · B · T · L · (10h + 3I +
 *       2 · heads · T)} (what the backward pass keeps per token and layer) plus every block's widened
 *       linear weights when the base is not float32 (autograd keeps them); with checkpointing: the
 *       block inputs {@code 4 · B · T · h · (L + 1)} plus one block's activations and widened
 *       weights. Both add the chunked LM head: {@code 16 · min(B · T · V, 16 Mi)} (logits,
 *       log-softmax and their gradients for one chunk).
 * </ul>
 *
 * <pre>{@code
 * MemoryEstimate m = MemoryEstimate.of(arch, cfg, 1, cfg.maxPositions(), 4, 256, 8);
 * System.out.println(MemoryEstimate.human(m.trainingBytes()));
 * }</pre>
 */
public record MemoryEstimate(long parameters, long weightBytes, int kvBatch, int kvContext, long kvCacheBytes,
        int trainBatch, int trainSeq, int loraRank, List<String> loraTargets, long loraParameters,
        long activationBytes, long loraStateBytes, List<Variant> variants) {

    /** Bytes of one fp32 element. */
    static final long FP32 = 4;

    /** The JVM and libtorch before any weight is touched (measured: 195 MiB resident after loading). */
    static final long RUNTIME_BYTES = 200L << 20;

    /** One way to hold the base: its weights, and inference and LoRA training totals. */
    public record Variant(String name, boolean checkpointing, long weightBytes, long inferenceBytes, long trainingBytes) {}

    /**
     * @param restBytes bytes per value of the weights as stored (2 for F16/BF16 checkpoints, 4 for F32),
     *     which {@code dtype auto} keeps
     */
    public static MemoryEstimate of(Architecture arch, DecoderConfig cfg, int kvBatch, int kvContext, int trainBatch,
            int trainSeq, int loraRank, int restBytes) {
        long params = ParameterCounts.total(arch, cfg);
        long kv = FP32 * 2L * cfg.numLayers() * cfg.numKvHeads() * cfg.headDim() * kvBatch * kvContext;
        List<String> targets = LoraTargets.defaultTargets(cfg.modelType());
        long lora = 0;
        long linear = 0;
        long int8 = 0;
        long int4 = 0;
        for (LinearSite s : arch.linearSites(cfg)) {
            long n = (long) s.inFeatures() * s.outFeatures();
            linear += n;
            int8 += Quantization.INT8.bytes(s.outFeatures(), s.inFeatures(), Quantization.DEFAULT_BLOCK_SIZE);
            int4 += Quantization.INT4.bytes(s.outFeatures(), s.inFeatures(), Quantization.DEFAULT_BLOCK_SIZE);
            if (targets.contains(s.shortName())) {
                lora += (long) loraRank * (s.inFeatures() + s.outFeatures());
            }
        }
        long rest = params - linear;
        long blockLinear = FP32 * linear / Math.max(1, cfg.numLayers());
        long perTokenBlock = 10L * cfg.hiddenSize() + 3L * cfg.intermediateSize() + 2L * cfg.numHeads() * trainSeq;
        long bt = (long) trainBatch * trainSeq;
        long head = 4 * FP32 * Math.min(bt * cfg.vocabSize(), EngineOptions.DEFAULT_LOSS_CHUNK_ELEMENTS);
        long full = FP32 * bt * cfg.numLayers() * perTokenBlock + head;
        long checkpointed = FP32 * bt * cfg.hiddenSize() * (cfg.numLayers() + 1L) + FP32 * bt * perTokenBlock + head;
        long loraState = 4 * FP32 * lora;
        long restAtRest = (long) restBytes * rest;
        List<Variant> variants = new ArrayList<>();
        String[] names = {"float32", "float16", "int8", "int4"};
        long[] weights = {FP32 * params, 2 * params, int8 + restAtRest, int4 + restAtRest};
        for (int i = 0; i < names.length; i++) {
            boolean widened = i > 0;
            long inference = RUNTIME_BYTES + weights[i] + (widened ? blockLinear : 0) + kv;
            long plain = RUNTIME_BYTES + weights[i] + full + (widened ? FP32 * linear : 0) + loraState;
            long ckpt = RUNTIME_BYTES + weights[i] + checkpointed + (widened ? blockLinear : 0) + loraState;
            variants.add(new Variant(names[i], false, weights[i], inference, plain));
            variants.add(new Variant(names[i], true, weights[i], inference, ckpt));
        }
        long atRest = restBytes == 2 ? 2 * params : FP32 * params;
        long atRestActivations = full + (restBytes == 2 ? FP32 * linear : 0);
        return new MemoryEstimate(params, atRest, kvBatch, kvContext, kv, trainBatch, trainSeq, loraRank, List.copyOf(targets), lora,
                atRestActivations, loraState, List.copyOf(variants));
    }

    /** As {@link #of(Architecture, DecoderConfig, int, int, int, int, int, int)} for a float32 checkpoint. */
    public static MemoryEstimate of(Architecture arch, DecoderConfig cfg, int kvBatch, int kvContext, int trainBatch,
            int trainSeq, int loraRank) {
        return of(arch, cfg, kvBatch, kvContext, trainBatch, trainSeq, loraRank, 4);
    }

    /** Weights at rest (dtype auto) plus the KV cache. */
    public long inferenceBytes() {
        return weightBytes + kvCacheBytes;
    }

    /** Weights at rest (dtype auto), without checkpointing. */
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
