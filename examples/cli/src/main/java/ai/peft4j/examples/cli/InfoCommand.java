package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.Architectures;
import ai.peft4j.api.model.DecoderConfig;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j info}: a model's architecture, sizes, parameter count, stored dtype and memory
 * estimates. Needs only {@code config.json}, so a 6B model can be sized before downloading it;
 * when weights are present they are opened and validated too.
 *
 * <pre>{@code
 * peft4j info --model kogpt              # a directory holding only config.json is enough
 * peft4j info --model kogpt/config.json --json
 * }</pre>
 */
@Command(name = "info", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Describe a model: sizes, parameters, dtype and memory estimates.",
            "The parameter count comes from the architecture's weight shapes, so",
            "config.json alone is enough: no weights are needed.",
            "",
            "Weights count as stored (F16/BF16 stay 16-bit, dtype auto); compute is fp32 per block.",
            "P = parameters, L = layers, h = hidden, I = intermediate, V = vocab,",
            "B x T = training batch x sequence, r = LoRA rank; in bytes:",
            "  weights       = 4*P (float32), 2*P (float16); int8: 1 byte + 4/out per linear",
            "                  weight, int4: 0.5 + 4/32; the rest at rest precision",
            "  inference     = weights + one block's linear weights in fp32 (unless float32)",
            "                  + KV cache",
            "  KV cache      = 4 * 2 * L * kv_heads * head_dim * batch * context",
            "  LoRA training = weights + activations + 16*P_lora",
            "  activations   = 4 * B * T * L * (10h + 3I + 2*heads*T) + head",
            "                  (kept for backward; + every block's fp32 linear weights",
            "                  unless float32); with checkpointing: 4*B*T*h*(L+1) + one",
            "                  block's activations and fp32 weights + head",
            "  head          = 16 * min(B*T*V, 16Mi) (one chunk: logits, log-softmax, grads)",
            "  the per-precision table adds 200 MiB for the JVM and libtorch",
            "  P_lora        = sum of r * (in + out) over the default LoRA targets;",
            "                  16 bytes each = fp32 value, gradient, 2 AdamW moments",
            ""})
public final class InfoCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or its config.json.")
    Path model;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1", description = "Batch for the KV-cache estimate (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--context", paramLabel = "N", description = "Context for the KV-cache estimate (default: the model's maximum).")
    Integer context;

    @Option(names = "--train-batch", paramLabel = "B", defaultValue = "4", description = "Training batch (default ${DEFAULT-VALUE}).")
    int trainBatch;

    @Option(names = "--train-seq", paramLabel = "T", defaultValue = "256", description = "Training sequence length (default ${DEFAULT-VALUE}, at most the model's context).")
    int trainSeq;

    @Option(names = "--lora-r", paramLabel = "R", defaultValue = "8", description = "LoRA rank (default ${DEFAULT-VALUE}).")
    int loraRank;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (batch < 1 || trainBatch < 1 || trainSeq < 1 || loraRank < 1 || (context != null && context < 1)) {
            throw new Peft4jException("--batch, --context, --train-batch, --train-seq and --lora-r must be >= 1");
        }
        Path dir = Files.isRegularFile(model) ? model.toAbsolutePath().getParent() : model;
        if (!Files.exists(model)) {
            throw new Peft4jException(model + ": no such file or directory");
        }
        DecoderConfig cfg = DecoderConfig.load(Files.isRegularFile(model) ? model : dir.resolve("config.json"));
        Architecture arch = Architectures.forConfig(cfg);
        Weights weights = weights(dir);
        // A model cannot train on sequences longer than its context.
        MemoryEstimate m = MemoryEstimate.of(arch, cfg, batch, context == null ? cfg.maxPositions() : context, trainBatch,
                Math.min(trainSeq, cfg.maxPositions()), loraRank, restBytes(cfg, weights));
        if (json) {
            printJson(cfg, arch, weights, m);
        } else {
            printText(cfg, arch, weights, m);
        }
        return Peft4jCli.EXIT_OK;
    }

    /** Bytes per stored value: the files' dtype when present, else config.json's. */
    private static int restBytes(DecoderConfig cfg, Weights w) {
        String d = w.storedDtypes() != null ? w.storedDtypes() : String.valueOf(cfg.dtype());
        return d.equals("F16") || d.equals("BF16") || d.equals("float16") || d.equals("bfloat16") ? 2 : 4;
    }

    /** What the directory holds besides config.json. */
    private record Weights(String status, String storedDtypes, long diskBytes) {}

    private static Weights weights(Path dir) {
        boolean safetensors = Files.isRegularFile(dir.resolve("model.safetensors"))
                || Files.isRegularFile(dir.resolve("model.safetensors.index.json"));
        if (!safetensors) {
            boolean pickle = list(dir).anyMatch(p -> p.getFileName().toString().endsWith(".bin"));
            return new Weights(pickle ? "PyTorch .bin only (convert to safetensors to load it)" : "none (sized from config.json)",
                    null, 0);
        }
        // Opening validates every tensor's header, shape and dtype.
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            TreeSet<String> dtypes = new TreeSet<>();
            for (String key : ckpt.architecture().weightShapes(ckpt.config()).keySet()) {
                dtypes.add(ckpt.info(key).dtype().name());
            }
            long bytes = list(dir).filter(p -> p.getFileName().toString().endsWith(".safetensors")).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
            return new Weights("safetensors, validated", String.join("+", dtypes), bytes);
        }
    }

    private static Stream<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList().stream();
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private void printText(DecoderConfig cfg, Architecture arch, Weights w, MemoryEstimate m) {
        PrintWriter out = spec.commandLine().getOut();
        String f = "%-16s %s%n";
        out.printf(Locale.ROOT, f, "model_type", cfg.modelType() + " (" + arch.getClass().getSimpleName() + ")");
        out.printf(Locale.ROOT, f, "layers", cfg.numLayers());
        out.printf(Locale.ROOT, f, "hidden", cfg.hiddenSize() + " (intermediate " + cfg.intermediateSize() + ")");
        out.printf(Locale.ROOT, f, "heads", cfg.numHeads() + " (kv heads " + cfg.numKvHeads() + ", head_dim " + cfg.headDim()
                + (cfg.rotaryDim() > 0 ? ", rotary_dim " + cfg.rotaryDim() : "") + ")");
        out.printf(Locale.ROOT, f, "vocab", cfg.vocabSize());
        out.printf(Locale.ROOT, f, "context", cfg.maxPositions());
        out.printf(Locale.ROOT, f, "parameters", String.format(Locale.ROOT, "%,d (%s)", m.parameters(), MemoryEstimate.shortCount(m.parameters())));
        out.printf(Locale.ROOT, f, "dtype", cfg.dtype() + " (config)" + (w.storedDtypes() == null ? ""
                : ", stored " + w.storedDtypes() + ", " + MemoryEstimate.human(w.diskBytes()) + " on disk"));
        out.printf(Locale.ROOT, f, "weights", w.status());
        out.println("memory estimate (weights as stored; see --help for the formulas)");
        out.printf(Locale.ROOT, "  inference      %s = weights %s + KV cache %s (batch %d x %d positions)%n",
                MemoryEstimate.human(m.inferenceBytes()), MemoryEstimate.human(m.weightBytes()),
                MemoryEstimate.human(m.kvCacheBytes()), m.kvBatch(), m.kvContext());
        out.printf(Locale.ROOT, "  LoRA training  %s = weights %s + activations %s (batch %d x %d)%n",
                MemoryEstimate.human(m.trainingBytes()), MemoryEstimate.human(m.weightBytes()),
                MemoryEstimate.human(m.activationBytes()), m.trainBatch(), m.trainSeq());
        out.printf(Locale.ROOT, "                 + LoRA state %s (r=%d on %s: %s params; value, grad, AdamW m, v)%n",
                MemoryEstimate.human(m.loraStateBytes()), m.loraRank(), String.join(",", m.loraTargets()),
                String.format(Locale.ROOT, "%,d", m.loraParameters()));
        out.println("by base precision (--dtype / --quantize) and --gradient-checkpointing:");
        out.printf(Locale.ROOT, "  %-8s %12s %12s %16s %16s%n", "base", "weights", "inference", "LoRA train", "LoRA train ckpt");
        for (int i = 0; i < m.variants().size(); i += 2) {
            MemoryEstimate.Variant off = m.variants().get(i);
            MemoryEstimate.Variant on = m.variants().get(i + 1);
            out.printf(Locale.ROOT, "  %-8s %12s %12s %16s %16s%n", off.name(), MemoryEstimate.human(off.weightBytes()),
                    MemoryEstimate.human(off.inferenceBytes()), MemoryEstimate.human(off.trainingBytes()),
                    MemoryEstimate.human(on.trainingBytes()));
        }
        out.flush();
    }

    private void printJson(DecoderConfig cfg, Architecture arch, Weights w, MemoryEstimate m) {
        JsonObject o = new JsonObject();
        o.addProperty("model_type", cfg.modelType());
        o.addProperty("architecture", arch.getClass().getSimpleName());
        o.addProperty("layers", cfg.numLayers());
        o.addProperty("hidden_size", cfg.hiddenSize());
        o.addProperty("intermediate_size", cfg.intermediateSize());
        o.addProperty("heads", cfg.numHeads());
        o.addProperty("kv_heads", cfg.numKvHeads());
        o.addProperty("head_dim", cfg.headDim());
        o.addProperty("rotary_dim", cfg.rotaryDim());
        o.addProperty("vocab_size", cfg.vocabSize());
        o.addProperty("context", cfg.maxPositions());
        o.addProperty("parameters", m.parameters());
        o.addProperty("dtype", cfg.dtype());
        o.addProperty("stored_dtype", w.storedDtypes());
        o.addProperty("weights", w.status());
        o.addProperty("weights_disk_bytes", w.diskBytes());
        JsonObject inf = new JsonObject();
        inf.addProperty("total_bytes", m.inferenceBytes());
        inf.addProperty("weights_bytes", m.weightBytes());
        inf.addProperty("kv_cache_bytes", m.kvCacheBytes());
        inf.addProperty("batch", m.kvBatch());
        inf.addProperty("context", m.kvContext());
        JsonObject tr = new JsonObject();
        tr.addProperty("total_bytes", m.trainingBytes());
        tr.addProperty("weights_bytes", m.weightBytes());
        tr.addProperty("activation_bytes", m.activationBytes());
        tr.addProperty("batch", m.trainBatch());
        tr.addProperty("seq_len", m.trainSeq());
        tr.addProperty("lora_r", m.loraRank());
        JsonArray targets = new JsonArray();
        m.loraTargets().forEach(targets::add);
        tr.add("lora_targets", targets);
        tr.addProperty("lora_parameters", m.loraParameters());
        tr.addProperty("lora_state_bytes", m.loraStateBytes());
        JsonObject mem = new JsonObject();
        mem.add("inference", inf);
        mem.add("lora_training", tr);
        JsonArray variants = new JsonArray();
        for (MemoryEstimate.Variant v : m.variants()) {
            JsonObject j = new JsonObject();
            j.addProperty("base", v.name());
            j.addProperty("gradient_checkpointing", v.checkpointing());
            j.addProperty("weights_bytes", v.weightBytes());
            j.addProperty("inference_bytes", v.inferenceBytes());
            j.addProperty("lora_training_bytes", v.trainingBytes());
            variants.add(j);
        }
        mem.add("by_base", variants);
        o.add("memory", mem);
        spec.commandLine().getOut().println(CliJson.toJson(o));
        spec.commandLine().getOut().flush();
    }
}
