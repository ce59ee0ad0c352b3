package ai.peft4j.api.full;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.AtomicFiles;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsWriter;
import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.method.AdapterContext;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethod;
import ai.peft4j.api.model.HookSet;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Full fine-tuning as a method plugin: the "adapter" makes every base weight trainable
 * ({@link ParameterStore#setTrainable}, which gives each a writable copy), adds no hooks, and
 * saves as a whole Hugging Face model directory ({@code config.json}, {@code model.safetensors} in
 * float32, and the base directory's tokenizer and generation files), loadable as a base model.
 * It is the baseline PEFT comparisons use, trained by the same {@link ai.peft4j.api.train.Trainer}.
 *
 * <pre>{@code
 * PeftMethod full = PeftMethods.byName("full");
 * model.addAdapter("full", full.parseConfig(new JsonObject(), "cli"));
 * model.saveAdapter("full", outDir);   // a model directory: Checkpoint.open(outDir) works
 * }</pre>
 */
public final class FullFineTuningMethod implements PeftMethod {
    private static final Logger LOG = LoggerFactory.getLogger(FullFineTuningMethod.class);
    /** The weights file of a saved model. */
    static final String WEIGHTS = "model.safetensors";
    /** Files copied from the base model directory into a saved model. */
    static final List<String> EXTRA_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "vocab.json", "merges.txt", "tokenizer.model", "generation_config.json");

    @Override
    public String peftType() {
        return FullFineTuningConfig.PEFT_TYPE;
    }

    @Override
    public String name() {
        return "full";
    }

    @Override
    public PeftConfig parseConfig(JsonObject json, String source) {
        for (String k : json.keySet()) {
            if (!k.equals("peft_type") && !k.equals("task_type")) {
                LOG.warn("{}: full fine-tuning ignores '{}'", source, k);
            }
        }
        return new FullFineTuningConfig();
    }

    @Override
    public Adapter create(String adapterName, PeftConfig config, AdapterContext context) {
        DecoderRuntime rt = context.runtime();
        for (String other : rt.parameters().trainableKeys()) {
            if (rt.checkpoint().contains(other)) {
                throw new Peft4jException("the base weights are already trainable (another full fine-tuning adapter?)");
            }
        }
        Map<String, long[]> shapes = new LinkedHashMap<>(context.architecture().weightShapes(context.config()));
        ParameterStore store = context.store();
        for (String key : shapes.keySet()) {
            if (store.isBaseReplaced(key)) {
                throw new Peft4jException("base weight '" + key + "' is replaced by a merged adapter; unmerge before full fine-tuning");
            }
        }
        for (String key : shapes.keySet()) {
            store.setTrainable(key, true);
        }
        return new FullAdapter(adapterName, (FullFineTuningConfig) config, shapes);
    }

    /** Every base weight, trainable, saved as a whole model. */
    static final class FullAdapter implements Adapter {
        private final String name;
        private final FullFineTuningConfig config;
        private final Map<String, long[]> shapes;
        private final Map<String, String> keys;

        FullAdapter(String name, FullFineTuningConfig config, Map<String, long[]> shapes) {
            this.name = name;
            this.config = config;
            this.shapes = Collections.unmodifiableMap(shapes);
            Map<String, String> k = new LinkedHashMap<>();
            shapes.keySet().forEach(s -> k.put(s, s));
            this.keys = Collections.unmodifiableMap(k);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public PeftConfig config() {
            return config;
        }

        @Override
        public Map<String, String> stateKeys() {
            return keys;
        }

        @Override
        public Map<String, long[]> stateShapes() {
            return shapes;
        }

        @Override
        public void addHooks(HookSet.Builder hooks, boolean perRow) {
            // the weights themselves train; nothing hooks the forward
        }

        @Override
        public boolean saveFiles(Path dir, DecoderRuntime runtime) {
            saveModel(runtime, keys.keySet(), dir);
            return true;
        }

        /** The saved form is a model directory: its {@code model.safetensors}. */
        @Override
        public Optional<Path> savedWeightsFile(Path dir) {
            return Optional.of(dir.resolve(WEIGHTS));
        }
    }

    /**
     * Writes the runtime's current weights as a Hugging Face model directory: {@code config.json}
     * (the base's, with dtype float32), {@code model.safetensors} and the base's tokenizer and
     * generation files. Each file is written atomically.
     */
    public static void saveModel(DecoderRuntime runtime, Iterable<String> weightKeys, Path dir) {
        Checkpoint base = runtime.checkpoint();
        Map<String, HostTensor> tensors = new TreeMap<>();
        for (String k : weightKeys) {
            tensors.put(k, runtime.parameters().get(k));
        }
        try {
            Files.createDirectories(dir);
            SafetensorsWriter.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
            JsonObject cfg = runtime.config().json().deepCopy();
            if (cfg.has("torch_dtype")) {
                cfg.addProperty("torch_dtype", "float32");
            }
            cfg.addProperty("dtype", "float32");
            AtomicFiles.writeString(dir.resolve("config.json"),
                    new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(cfg) + "\n");
            Path from = base.directory().toAbsolutePath().normalize();
            if (!from.equals(dir.toAbsolutePath().normalize())) {
                for (String f : EXTRA_FILES) {
                    Path src = from.resolve(f);
                    if (Files.isRegularFile(src)) {
                        byte[] bytes = Files.readAllBytes(src);
                        AtomicFiles.write(dir.resolve(f), out -> out.write(bytes));
                    }
                }
            }
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot save the model: " + e.getMessage(), e);
        }
    }
}
