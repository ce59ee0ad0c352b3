package ai.peft4j.api.full;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.io.AtomicFiles;
import ai.peft4j.api.io.DType;
import ai.peft4j.api.io.FloatConversions;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.Architectures;
import ai.peft4j.api.model.DecoderConfig;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Writes randomly initialised Hugging Face model directories, for pre-training from scratch and
 * for benchmarks. Initialisation follows transformers' {@code _init_weights}: matrices and
 * embeddings ~ N(0, initializer_range) (default 0.02), GPT-2's residual projections
 * ({@code c_proj}) ~ N(0, initializer_range / √(2·n_layer)), biases 0 and norm weights 1.
 * Deterministic per seed.
 *
 * <pre>{@code
 * JsonObject cfg = ModelFactory.gpt2Config(1250, 128, 64, 2, 4);   // vocab, positions, hidden, layers, heads
 * Path dir = ModelFactory.writeRandom(Path.of("scratch"), cfg, 42);
 * ModelFactory.copyTokenizer(Path.of("models/tiny-gpt2"), dir);
 * }</pre>
 */
public final class ModelFactory {
    private ModelFactory() {}

    /** A GPT-2 {@code config.json} (gelu_new, tied head, no dropout). */
    public static JsonObject gpt2Config(int vocab, int positions, int hidden, int layers, int heads) {
        JsonObject c = new JsonObject();
        c.add("architectures", new com.google.gson.JsonArray());
        c.getAsJsonArray("architectures").add("GPT2LMHeadModel");
        c.addProperty("model_type", "gpt2");
        c.addProperty("vocab_size", vocab);
        c.addProperty("n_positions", positions);
        c.addProperty("n_ctx", positions);
        c.addProperty("n_embd", hidden);
        c.addProperty("n_layer", layers);
        c.addProperty("n_head", heads);
        c.addProperty("activation_function", "gelu_new");
        c.addProperty("layer_norm_epsilon", 1e-5);
        c.addProperty("initializer_range", 0.02);
        c.addProperty("resid_pdrop", 0.0);
        c.addProperty("embd_pdrop", 0.0);
        c.addProperty("attn_pdrop", 0.0);
        c.addProperty("bos_token_id", vocab - 1);
        c.addProperty("eos_token_id", vocab - 1);
        c.addProperty("tie_word_embeddings", true);
        c.addProperty("dtype", "float32");
        return c;
    }

    /** GPT-2 small's shape (124 M parameters): vocab 50257, 1024 positions, 768 hidden, 12 layers, 12 heads. */
    public static JsonObject gpt2SmallConfig() {
        return gpt2Config(50257, 1024, 768, 12, 12);
    }

    /**
     * Writes {@code config.json} and a randomly initialised float32 {@code model.safetensors} into
     * {@code dir} (created if needed) and returns it.
     */
    public static Path writeRandom(Path dir, JsonObject config, long seed) {
        return writeRandom(dir, config, seed, DType.F32);
    }

    /**
     * As {@link #writeRandom(Path, JsonObject, long)}, stored as {@code dtype} (F32, F16 or BF16).
     * Values are generated and written a chunk at a time, so a multi-billion-parameter shape needs
     * no more heap than one chunk; the values are those of the float32 variant, rounded.
     */
    public static Path writeRandom(Path dir, JsonObject config, long seed, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new Peft4jException("random weights are written as F32, F16 or BF16, not " + dtype);
        }
        DecoderConfig cfg = DecoderConfig.parse(config.toString(), dir.resolve("config.json").toString());
        Architecture arch = Architectures.forConfig(cfg);
        double std = cfg.number("initializer_range", 0.02);
        boolean gpt2 = cfg.modelType().equals("gpt2");
        double residStd = std / Math.sqrt(2.0 * cfg.numLayers());
        Map<String, long[]> shapes = new TreeMap<>(arch.weightShapes(cfg));
        JsonObject header = new JsonObject();
        JsonObject meta = new JsonObject();
        meta.addProperty("format", "pt");
        header.add("__metadata__", meta);
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long numel = 1;
            com.google.gson.JsonArray shape = new com.google.gson.JsonArray();
            for (long d : e.getValue()) {
                numel *= d;
                shape.add(d);
            }
            JsonObject info = new JsonObject();
            info.addProperty("dtype", dtype.safetensorsName());
            info.add("shape", shape);
            com.google.gson.JsonArray offsets = new com.google.gson.JsonArray();
            offsets.add(offset);
            offset += numel * dtype.byteSize();
            offsets.add(offset);
            info.add("data_offsets", offsets);
            header.add(e.getKey(), info);
        }
        StringBuilder json = new StringBuilder(header.toString());
        while ((json.length() + 8) % 8 != 0) {
            json.append(' ');
        }
        byte[] headerBytes = json.toString().getBytes(StandardCharsets.UTF_8);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot create directory: " + e.getMessage(), e);
        }
        SplittableRandom root = new SplittableRandom(seed);
        AtomicFiles.write(dir.resolve("model.safetensors"), raw -> {
            OutputStream out = new BufferedOutputStream(raw, 1 << 20);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length);
            out.write(len.array());
            out.write(headerBytes);
            float[] chunk = new float[1 << 16];
            ByteBuffer bytes = ByteBuffer.allocate(chunk.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                String key = e.getKey();
                long numel = 1;
                for (long d : e.getValue()) {
                    numel *= d;
                }
                SplittableRandom rnd = root.split();
                boolean vector = e.getValue().length == 1;
                double sd = gpt2 && key.endsWith("c_proj.weight") ? residStd : std;
                for (long done = 0; done < numel; done += chunk.length) {
                    int n = (int) Math.min(chunk.length, numel - done);
                    for (int i = 0; i < n; i++) {
                        // norm scales 1, biases 0, matrices N(0, sd)
                        chunk[i] = vector ? (key.endsWith(".weight") ? 1f : 0f) : (float) (rnd.nextGaussian() * sd);
                    }
                    bytes.clear();
                    for (int i = 0; i < n; i++) {
                        if (dtype == DType.F32) {
                            bytes.putFloat(chunk[i]);
                        } else if (dtype == DType.F16) {
                            bytes.putShort(FloatConversions.floatToHalf(chunk[i]));
                        } else {
                            bytes.putShort(FloatConversions.floatToBf16(chunk[i]));
                        }
                    }
                    out.write(bytes.array(), 0, bytes.position());
                }
            }
            out.flush();
        });
        AtomicFiles.writeString(dir.resolve("config.json"),
                new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(config) + "\n");
        return dir;
    }

    /** Copies the tokenizer files ({@code tokenizer.json} and friends) of one model directory into another. */
    public static void copyTokenizer(Path fromDir, Path toDir) {
        try {
            for (String f : FullFineTuningMethod.EXTRA_FILES) {
                Path src = fromDir.resolve(f);
                if (Files.isRegularFile(src) && !f.equals("generation_config.json")) {
                    byte[] bytes = Files.readAllBytes(src);
                    AtomicFiles.write(toDir.resolve(f), out -> out.write(bytes));
                }
            }
        } catch (IOException e) {
            throw new Peft4jException(fromDir + ": cannot copy tokenizer files: " + e.getMessage(), e);
        }
    }
}
