package ai.peft4j.engine.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.AtomicFiles;
import ai.peft4j.api.io.DType;
import ai.peft4j.api.io.TensorInfo;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.serving.AdapterServing;
import ai.peft4j.api.serving.ModelExport;
import ai.peft4j.api.serving.ModelExporter;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a model on the onnx engine as files any ONNX Runtime client loads, as a
 * {@link ModelExporter} ({@link #to}) that {@link ModelExport#write} hands the model to:
 * {@code model.onnx} (the decoder with KV-cache inputs and outputs; base weights as ONNX external
 * data), its weight files, one {@code <adapter>.onnx_adapter} per adapter served from one graph
 * ({@link AdapterServing}: LoRA adapters, say; activated per run
 * with {@code OrtLoraAdapter}; with none active the graph is the base model), and
 * {@code model.json} describing inputs, outputs, the cache, token ids and adapters.
 *
 * <p>Weights, {@link WeightStorage#LINK} (default): a float32 {@code .safetensors} shard is
 * hard-linked (copied across file systems) into the output and the graph's external data points
 * at each tensor's bytes inside it, so nothing is rewritten; FP16/BF16 tensors and merged
 * weights are widened once into {@code model.onnx.data}. {@link WeightStorage#COPY} writes every
 * weight into {@code model.onnx.data}. On a quantized base the linear layers' codes and scales go
 * into {@code model.onnx.data} as the engine holds them, read by {@code com.microsoft.MatMulNBits}
 * (so the export needs ONNX Runtime, not any ONNX client); a float16 base exports as float32.
 * The output directory is replaced atomically.
 *
 * <pre>{@code
 * // model: opened on the onnx engine, adapters loaded (or merged)
 * OnnxExport.Result r = ModelExport.write(model, OnnxExport.to(outDir, OnnxExport.WeightStorage.LINK));
 * // any client: OrtSession s = env.createSession(outDir.resolve("model.onnx").toString(), opts);
 * }</pre>
 */
public final class OnnxExport {
    public static final String MODEL_FILE = "model.onnx";
    public static final String DATA_FILE = "model.onnx.data";
    public static final String DESCRIPTION_FILE = "model.json";
    /** External data offsets in {@link #DATA_FILE} are multiples of this (page-friendly for mmap). */
    static final int ALIGN = 4096;

    private OnnxExport() {}

    /** How base weights reach the exported model. */
    public enum WeightStorage {
        /** Point into hard-linked float32 safetensors shards; widen others into {@link #DATA_FILE}. */
        LINK,
        /** Write every weight, as float32, into {@link #DATA_FILE}. */
        COPY
    }

    /**
     * What was written.
     *
     * @param weightFiles the files holding weights, relative to the directory
     * @param weightBytes bytes of weights the graph references
     * @param copiedBytes bytes written to {@link #DATA_FILE} (0 when every weight is linked)
     * @param adapterFiles per adapter name, its {@code .onnx_adapter} file name
     */
    public record Result(Path directory, WeightStorage storage, List<String> weightFiles, long weightBytes, long copiedBytes,
            Map<String, String> adapterFiles, double seconds) {}

    /** The exporter {@link ModelExport#write} runs: {@link #write(ModelExport, Path, WeightStorage)} into {@code out}. */
    public static ModelExporter<Result> to(Path out, WeightStorage storage) {
        return model -> write(model, out, storage);
    }

    /**
     * Exports {@code model}: its base, plus every adapter as an {@code .onnx_adapter} (all must be
     * served from one graph: LoRA adapters whose targets are the first one's or a subset).
     * When every adapter is merged, the merged weights are the exported base (no adapter files).
     */
    public static Result write(ModelExport model, Path out, WeightStorage storage) {
        if (!(model.runtime() instanceof OnnxDecoderRuntime rt)) {
            throw new Peft4jException("export-onnx needs the model on the onnx engine, it runs on '"
                    + model.runtime().engine().name() + "'");
        }
        long t0 = System.nanoTime();
        Result[] result = new Result[1];
        // Closed by ModelExport.write once the export ends.
        AdapterServing adapters = model.adapters();
        OnnxSharedGraphServing serving = adapters == null ? null : (OnnxSharedGraphServing) adapters.graph();
        AtomicFiles.replaceDirectory(out, dir -> {
            Writer w = new Writer(rt, dir, storage);
            try {
                HookSet hooks = serving == null ? HookSet.EMPTY : serving.hooks();
                Map<String, ai.peft4j.api.io.HostTensor> defaults = serving == null ? null : serving.defaults();
                OnnxDecoderRuntime.Trace trace = rt.traceGraph(hooks, new OnnxDecoderRuntime.Variant(true, false, false),
                        defaults, w);
                Files.write(dir.resolve(MODEL_FILE), trace.model());
                Map<String, String> adapterFiles = new LinkedHashMap<>();
                Map<String, String> peftTypes = new LinkedHashMap<>();
                if (adapters != null) {
                    adapters.writeAdapterFiles(dir).forEach((name, f) -> {
                        adapterFiles.put(name, f.getFileName().toString());
                        peftTypes.put(name, adapters.peftType(name));
                    });
                }
                JsonObject json = describe(rt, rt.config(), ModelProto.parseFrom(trace.model()), w, storage, adapterFiles, peftTypes,
                        serving == null ? Set.of() : serving.parameterNames());
                Files.writeString(dir.resolve(DESCRIPTION_FILE), new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n");
                result[0] = new Result(out, storage, List.copyOf(w.files), w.weightBytes, w.copiedBytes, adapterFiles, 0);
            } finally {
                w.close();
            }
        });
        Result r = result[0];
        return new Result(r.directory(), r.storage(), r.weightFiles(), r.weightBytes(), r.copiedBytes(), r.adapterFiles(),
                (System.nanoTime() - t0) / 1e9);
    }

    /** Places base weights in the output directory while the graph is traced. */
    private static final class Writer implements AutoCloseable, OnnxDecoderRuntime.Placement {
        private final Checkpoint ckpt;
        private final ParameterStore store;
        private final Path dir;
        private final WeightStorage storage;
        private final Map<Path, String> linked = new HashMap<>();
        final Set<String> files = new LinkedHashSet<>();
        private FileChannel data;
        long weightBytes;
        long copiedBytes;

        Writer(OnnxDecoderRuntime rt, Path dir, WeightStorage storage) {
            this.ckpt = rt.checkpoint();
            this.store = rt.parameters();
            this.dir = dir;
            this.storage = storage;
        }

        /** Quantized codes and scales are written as they are, so the export runs the same kernels. */
        @Override
        public OnnxDecoderRuntime.ExternalData raw(String initializer, ByteBuffer bytes) {
            try {
                long length = bytes.remaining();
                weightBytes += length;
                return append(bytes.duplicate(), length);
            } catch (IOException e) {
                throw new Peft4jException(dir + ": cannot write weight '" + initializer + "': " + e.getMessage(), e);
            }
        }

        @Override
        public OnnxDecoderRuntime.ExternalData dense(String key) {
            try {
                TensorInfo info = ckpt.info(key);
                long length = info.numel() * 4;
                weightBytes += length;
                if (storage == WeightStorage.LINK && info.dtype() == DType.F32 && !store.isBaseReplaced(key)) {
                    return new OnnxDecoderRuntime.ExternalData(link(ckpt.file(key).path()), info.dataOffset(), length);
                }
                ByteBuffer bytes;
                if (store.isBaseReplaced(key)) {
                    float[] v = store.get(key).data();
                    bytes = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    bytes.asFloatBuffer().put(v);
                } else {
                    bytes = ckpt.float32(key).order(ByteOrder.LITTLE_ENDIAN);
                }
                return append(bytes.duplicate().rewind(), length);
            } catch (IOException e) {
                throw new Peft4jException(dir + ": cannot write weight '" + key + "': " + e.getMessage(), e);
            }
        }

        /** The shard under its own name in the output: a hard link, or a copy across file systems. */
        private String link(Path shard) throws IOException {
            String name = linked.get(shard);
            if (name != null) {
                return name;
            }
            name = shard.getFileName().toString();
            if (name.equals(MODEL_FILE) || name.equals(DATA_FILE) || name.equals(DESCRIPTION_FILE)) {
                throw new Peft4jException(shard + ": a weight file may not be named like an export file");
            }
            Path target = dir.resolve(name);
            try {
                Files.createLink(target, shard.toRealPath());
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(shard, target);
            }
            linked.put(shard, name);
            files.add(name);
            return name;
        }

        private OnnxDecoderRuntime.ExternalData append(ByteBuffer bytes, long length) throws IOException {
            if (data == null) {
                data = FileChannel.open(dir.resolve(DATA_FILE), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                files.add(DATA_FILE);
            }
            long offset = (data.position() + ALIGN - 1) / ALIGN * ALIGN;
            data.position(offset);
            while (bytes.hasRemaining()) {
                data.write(bytes);
            }
            copiedBytes += length;
            return new OnnxDecoderRuntime.ExternalData(DATA_FILE, offset, length);
        }

        @Override
        public void close() throws IOException {
            if (data != null) {
                data.force(true);
                data.close();
            }
        }
    }

    private static JsonObject describe(OnnxDecoderRuntime rt, DecoderConfig cfg, ModelProto proto, Writer w, WeightStorage storage,
            Map<String, String> adapterFiles, Map<String, String> peftTypes, Set<String> adapterInputs) {
        JsonObject j = new JsonObject();
        j.addProperty("format", "peft4j-onnx-export");
        j.addProperty("format_version", 1);
        j.addProperty("model", MODEL_FILE);
        j.addProperty("model_type", cfg.modelType());
        j.addProperty("ir_version", proto.getIrVersion());
        j.addProperty("opset", GraphBuilder.OPSET);
        JsonObject weights = new JsonObject();
        weights.addProperty("storage", storage == WeightStorage.LINK
                ? "external data pointing into the float32 safetensors shard(s) (hard-linked or copied); others widened into "
                        + DATA_FILE
                : "every weight as float32 in " + DATA_FILE);
        JsonArray files = new JsonArray();
        w.files.forEach(files::add);
        weights.add("files", files);
        weights.addProperty("bytes", w.weightBytes);
        weights.addProperty("quantization", rt.options().quantization().id());
        if (rt.options().quantization() != ai.peft4j.api.quant.Quantization.NONE) {
            weights.addProperty("quantized_linear_layers", "com.microsoft.MatMulNBits (bits " + rt.options().quantization().bits()
                    + "): codes and scales written as the engine holds them into " + DATA_FILE);
        }
        j.add("weights", weights);
        Set<String> initialized = new LinkedHashSet<>();
        proto.getGraph().getInitializerList().forEach(t -> initialized.add(t.getName()));
        JsonArray inputs = new JsonArray();
        for (ValueInfoProto v : proto.getGraph().getInputList()) {
            if (!initialized.contains(v.getName())) {
                inputs.add(valueInfo(v));
            }
        }
        j.add("inputs", inputs);
        JsonArray outputs = new JsonArray();
        proto.getGraph().getOutputList().forEach(v -> outputs.add(valueInfo(v)));
        j.add("outputs", outputs);
        JsonObject cache = new JsonObject();
        cache.addProperty("layers", cfg.numLayers());
        cache.addProperty("kv_heads", cfg.numKvHeads());
        cache.addProperty("head_dim", cfg.headDim());
        cache.addProperty("past_key", OnnxOps.pastKey(0).replace(".0.", ".{layer}."));
        cache.addProperty("past_value", OnnxOps.pastValue(0).replace(".0.", ".{layer}."));
        cache.addProperty("present_key", OnnxOps.presentKey(0).replace(".0.", ".{layer}."));
        cache.addProperty("present_value", OnnxOps.presentValue(0).replace(".0.", ".{layer}."));
        cache.addProperty("how", "First run: feed every past tensor empty, shape [batch, kv_heads, 0, head_dim], and the "
                + "whole prompt. Each later run: feed the previous run's present.{layer}.* as past_key_values.{layer}.*, only "
                + "the new token(s) as input_ids, and attention_mask over past + new positions.");
        j.add("kv_cache", cache);
        j.addProperty("position_ids", "per row, cumsum(attention_mask) - 1 over past + new positions, taking the new ones; "
                + "padding positions get 1 (as Hugging Face). Pad on the left.");
        j.addProperty("logits", "float32 [batch, new positions, vocab] for every new position");
        putId(j, "bos_token_id", cfg.bosTokenId());
        putId(j, "eos_token_id", cfg.eosTokenId());
        putId(j, "pad_token_id", cfg.padTokenId());
        JsonArray adapters = new JsonArray();
        adapterFiles.forEach((name, file) -> {
            JsonObject a = new JsonObject();
            a.addProperty("name", name);
            a.addProperty("file", file);
            a.addProperty("peft_type", peftTypes.get(name));
            adapters.add(a);
        });
        j.add("adapters", adapters);
        JsonArray names = new JsonArray();
        adapterInputs.forEach(names::add);
        j.add("adapter_inputs", names);
        j.addProperty("adapter_usage", adapterFiles.isEmpty() ? "no adapters"
                : "OrtLoraAdapter.create(file) once, then RunOptions.addActiveLoraAdapter(adapter) per run; with none active "
                        + "the adapter inputs keep their empty (rank 0) defaults, which is the base model");
        return j;
    }

    private static void putId(JsonObject j, String key, Integer id) {
        if (id == null) {
            j.add(key, com.google.gson.JsonNull.INSTANCE);
        } else {
            j.addProperty(key, id);
        }
    }

    private static JsonObject valueInfo(ValueInfoProto v) {
        JsonObject o = new JsonObject();
        o.addProperty("name", v.getName());
        o.addProperty("dtype", TensorProto.DataType.forNumber(v.getType().getTensorType().getElemType()).name().toLowerCase(java.util.Locale.ROOT));
        JsonArray shape = new JsonArray();
        for (TensorShapeProto.Dimension d : v.getType().getTensorType().getShape().getDimList()) {
            if (d.hasDimParam()) {
                shape.add(d.getDimParam());
            } else {
                shape.add(d.getDimValue());
            }
        }
        o.add("shape", shape);
        return o;
    }
}
