package ai.peft4j.api.engine;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.quant.Quantization;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * How to run an engine.
 *
 * <ul>
 *   <li>{@code device}: {@code cpu}, {@code gpu}, {@code gpu:1}, or {@code auto} for the engine's
 *       choice; {@code threads}: intra-op threads (0 = the engine's default).
 *   <li>{@code weightDtype}: the precision base weights are held in, as Hugging Face's
 *       {@code torch_dtype}: {@code auto} keeps the stored one (F16 stays F16, memory-mapped),
 *       {@code float32} widens, {@code float16} narrows. Compute is float32 per layer on CPU.
 *   <li>{@code quantization} and {@code quantizationBlockSize}: the frozen linear weights
 *       quantized on load ({@link Quantization}); embeddings, norms and the LM head keep
 *       {@code weightDtype}.
 *   <li>{@code checkpointedBlocks}: activation checkpointing. Training keeps only the input of
 *       each of the first {@code checkpointedBlocks} decoder blocks and recomputes them in the
 *       backward pass: {@link #ALL_BLOCKS} is Hugging Face's {@code gradient_checkpointing_enable()},
 *       {@code 0} is off, and a count in between trades less memory for less recompute (each
 *       checkpointed block saves its activations and costs about one more forward of it).
 *   <li>{@code lossChunkElements}: logits elements one chunk of the training LM head + loss may
 *       hold ({@code 0}: the head in one piece).
 *   <li>{@code engineProperties}: one engine's own tuning knobs, keyed {@code <engine>.<name>}
 *       (e.g. {@code onnx.quantized_matmul=float32}). An engine reads the keys under its own name
 *       and refuses an unknown one there, listing the ones it has ({@link #checkEngineProperties});
 *       keys of other engines are ignored, so one settings file can serve both engines.
 * </ul>
 *
 * <pre>{@code
 * EngineOptions o = new EngineOptions("cpu", 2).withQuantization(Quantization.INT4, 32).withCheckpointedBlocks(4)
 *         .withEngineProperty("onnx.quantized_matmul", "float32");
 * DecoderRuntime rt = engine.load(ckpt, o);
 * }</pre>
 */
public record EngineOptions(String device, int threads, String weightDtype, Quantization quantization, int quantizationBlockSize,
        int checkpointedBlocks, long lossChunkElements, Map<String, String> engineProperties) {

    /** {@link #checkpointedBlocks} for every block: full activation checkpointing. */
    public static final int ALL_BLOCKS = Integer.MAX_VALUE;

    /** The default chunk: 16 Mi logits (64 MiB in float32) per LM-head + loss chunk. */
    public static final long DEFAULT_LOSS_CHUNK_ELEMENTS = 1L << 24;

    public EngineOptions {
        weightDtype = checkDtype(weightDtype);
        quantization = quantization == null ? Quantization.NONE : quantization;
        if (quantization == Quantization.INT4) {
            Quantization.checkBlockSize(quantizationBlockSize);
        }
        if (checkpointedBlocks < 0) {
            throw new Peft4jException("checkpointed blocks must be 0 (off), a block count, or all, not " + checkpointedBlocks);
        }
        if (lossChunkElements < 0) {
            throw new Peft4jException("loss chunk elements must be 0 (no chunking) or positive, not " + lossChunkElements);
        }
        Map<String, String> props = new TreeMap<>();
        if (engineProperties != null) {
            for (Map.Entry<String, String> e : engineProperties.entrySet()) {
                props.put(checkPropertyKey(e.getKey()), java.util.Objects.requireNonNull(e.getValue(), () -> "engine property '"
                        + e.getKey() + "' has no value"));
            }
        }
        engineProperties = Collections.unmodifiableMap(props);
    }

    /** A device and thread count with every other option at its default. */
    public EngineOptions(String device, int threads) {
        this(device, threads, "auto", Quantization.NONE, Quantization.DEFAULT_BLOCK_SIZE, 0, DEFAULT_LOSS_CHUNK_ELEMENTS, Map.of());
    }

    /** The engine's default device and threads. */
    public static EngineOptions defaults() {
        return new EngineOptions("auto", 0);
    }

    public EngineOptions withWeightDtype(String dtype) {
        return new EngineOptions(device, threads, dtype, quantization, quantizationBlockSize, checkpointedBlocks, lossChunkElements, engineProperties);
    }

    public EngineOptions withQuantization(Quantization q, int blockSize) {
        return new EngineOptions(device, threads, weightDtype, q, blockSize, checkpointedBlocks, lossChunkElements, engineProperties);
    }

    /** Whether training checkpoints any block ({@link #checkpointedBlocks} is not 0). */
    public boolean gradientCheckpointing() {
        return checkpointedBlocks != 0;
    }

    /** How many of a model's {@code layers} blocks training checkpoints: the first that many. */
    public int checkpointedBlocks(int layers) {
        return Math.min(checkpointedBlocks, layers);
    }

    /** {@code checkpointedBlocks} in words: {@code true} (every block), {@code false}, or {@code first N blocks}. */
    public static String describeCheckpointedBlocks(int blocks) {
        return blocks == ALL_BLOCKS ? "true" : blocks == 0 ? "false" : "first " + blocks + " blocks";
    }

    /** Every block checkpointed ({@code true}, Hugging Face's {@code gradient_checkpointing_enable()}) or none. */
    public EngineOptions withGradientCheckpointing(boolean on) {
        return withCheckpointedBlocks(on ? ALL_BLOCKS : 0);
    }

    /** The first {@code blocks} decoder blocks checkpointed (0: none; {@link #ALL_BLOCKS} or more than the model has: all). */
    public EngineOptions withCheckpointedBlocks(int blocks) {
        return new EngineOptions(device, threads, weightDtype, quantization, quantizationBlockSize, blocks, lossChunkElements, engineProperties);
    }

    public EngineOptions withLossChunkElements(long elements) {
        return new EngineOptions(device, threads, weightDtype, quantization, quantizationBlockSize, checkpointedBlocks, elements, engineProperties);
    }

    /** These options with one engine property set ({@code <engine>.<name>}); a null value removes it. */
    public EngineOptions withEngineProperty(String key, String value) {
        Map<String, String> props = new TreeMap<>(engineProperties);
        if (value == null) {
            props.remove(checkPropertyKey(key));
        } else {
            props.put(checkPropertyKey(key), value);
        }
        return new EngineOptions(device, threads, weightDtype, quantization, quantizationBlockSize, checkpointedBlocks,
                lossChunkElements, props);
    }

    /** These options with every entry of {@code properties} set. */
    public EngineOptions withEngineProperties(Map<String, String> properties) {
        EngineOptions o = this;
        for (Map.Entry<String, String> e : properties.entrySet()) {
            o = o.withEngineProperty(e.getKey(), e.getValue());
        }
        return o;
    }

    /** The engine property {@code <engine>.<name>}, or {@code fallback} when unset. */
    public String engineProperty(String engine, String name, String fallback) {
        return engineProperties.getOrDefault(engine + "." + name, fallback);
    }

    /**
     * Fails when a property under {@code engine} is not one of {@code known}, naming the known
     * ones: a typo in a tuning knob must not be silently ignored.
     */
    public void checkEngineProperties(String engine, java.util.Collection<String> known) {
        String prefix = engine + ".";
        for (String key : engineProperties.keySet()) {
            if (key.startsWith(prefix) && !known.contains(key.substring(prefix.length()))) {
                throw new Peft4jException("engine " + engine + " has no option '" + key + "'; its options: "
                        + (known.isEmpty() ? "none" : known.stream().sorted().map(k -> prefix + k).toList()));
            }
        }
    }

    private static String checkPropertyKey(String key) {
        int dot = key == null ? -1 : key.indexOf('.');
        if (dot <= 0 || dot == key.length() - 1) {
            throw new Peft4jException("engine property '" + key + "' must be named <engine>.<option>, e.g. onnx.quantized_matmul");
        }
        return key;
    }

    private static String checkDtype(String dtype) {
        String d = dtype == null ? "auto" : dtype.trim().toLowerCase(Locale.ROOT);
        switch (d) {
            case "auto":
            case "float32":
            case "float16":
                return d;
            case "fp32":
                return "float32";
            case "fp16":
            case "half":
                return "float16";
            case "bfloat16":
            case "bf16":
                throw new Peft4jException("weight dtype '" + dtype + "' is not offered: BF16 checkpoints are held as float16 when every "
                        + "value converts exactly, else float32 (the PyTorch engine cannot hold BF16 arrays); use auto, float32 or float16");
            default:
                throw new Peft4jException("unknown weight dtype '" + dtype + "'; use auto, float32 or float16");
        }
    }
}
