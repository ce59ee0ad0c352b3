package ai.peft4j.api.inject;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.quant.Quantization;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * How an application runs peft4j: the engine name, the device and the thread count. Immutable.
 *
 * <p>Values are layered, later layers winning: the defaults (the {@linkplain Engines#defaultEngine()
 * default engine}, device {@code auto}, threads 0 = the engine's choice), an optional config file
 * (a {@code .properties} file or a JSON object with keys {@code engine}, {@code device},
 * {@code threads}), the system properties {@code peft4j.engine}, {@code peft4j.device} and
 * {@code peft4j.threads}, and finally command-line flags. Keys a file holds beyond those three
 * are kept in {@link #extra()} for the components that own them (method configs, for example),
 * except {@code <engine>.<option>} keys naming an installed engine ({@code onnx.quantized_matmul},
 * system property {@code peft4j.onnx.quantized_matmul}): those are the engine's own tuning knobs
 * and go to {@link EngineOptions#engineProperties()}.
 *
 * <pre>{@code
 * Peft4jSettings settings = Peft4jSettings.resolve(Path.of("peft4j.json"), System.getProperties())
 *         .toBuilder().engine("onnx").build();        // a --engine flag, say
 * Injector injector = Guice.createInjector(new Peft4jModule(settings));
 * Engine engine = injector.getInstance(Engine.class);  // the ONNX engine
 * }</pre>
 */
public final class Peft4jSettings {
    /** System property naming the engine. */
    public static final String ENGINE_PROPERTY = "peft4j.engine";
    /** System property naming the device. */
    public static final String DEVICE_PROPERTY = "peft4j.device";
    /** System property giving the intra-op thread count. */
    public static final String THREADS_PROPERTY = "peft4j.threads";
    /** System property pointing at a config file, used when no file is passed explicitly. */
    public static final String CONFIG_PROPERTY = "peft4j.config";

    /** The engine named when nothing else is installed, so that the error names what to add. */
    static final String FALLBACK_ENGINE = "pytorch";

    private final String engine;
    private final String device;
    private final int threads;
    private final String dtype;
    private final Quantization quantization;
    private final int quantizationBlockSize;
    private final int checkpointedBlocks;
    private final Map<String, String> extra;
    private final Map<String, String> engineProperties;

    private Peft4jSettings(Builder b) {
        this.engine = b.engine;
        this.device = b.device;
        this.threads = b.threads;
        this.dtype = b.dtype;
        this.quantization = b.quantization;
        this.quantizationBlockSize = b.quantizationBlockSize;
        this.checkpointedBlocks = b.checkpointedBlocks;
        this.extra = Collections.unmodifiableMap(new LinkedHashMap<>(b.extra));
        this.engineProperties = Collections.unmodifiableMap(new LinkedHashMap<>(b.engineProperties));
    }

    /** The built-in defaults: the default installed engine, device {@code auto}, threads 0. */
    public static Peft4jSettings defaults() {
        return new Builder().build();
    }

    /**
     * Defaults, then {@code configFile} (or the file named by the {@code peft4j.config} property
     * when {@code configFile} is null; no file at all is fine), then the {@code peft4j.*} entries of
     * {@code systemProperties}.
     */
    public static Peft4jSettings resolve(Path configFile, Properties systemProperties) {
        Builder b = builder();
        Path file = configFile;
        if (file == null && systemProperties != null && systemProperties.getProperty(CONFIG_PROPERTY) != null) {
            file = Path.of(systemProperties.getProperty(CONFIG_PROPERTY));
        }
        if (file != null) {
            b.applyFile(file);
        }
        if (systemProperties != null) {
            b.applySystemProperties(systemProperties);
        }
        return b.build();
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these values, to layer command-line flags on top. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.engine = engine;
        b.device = device;
        b.threads = threads;
        b.dtype = dtype;
        b.quantization = quantization;
        b.quantizationBlockSize = quantizationBlockSize;
        b.checkpointedBlocks = checkpointedBlocks;
        b.extra.putAll(extra);
        b.engineProperties.putAll(engineProperties);
        return b;
    }

    /** The engine name ({@code pytorch}, {@code onnx}). */
    public String engine() {
        return engine;
    }

    /** The device ({@code auto}, {@code cpu}, {@code gpu}, {@code gpu:1}). */
    public String device() {
        return device;
    }

    /** Intra-op threads; 0 leaves the engine's default. */
    public int threads() {
        return threads;
    }

    /** Config-file keys other than engine, device and threads, as strings (JSON values as JSON). */
    public Map<String, String> extra() {
        return extra;
    }

    /** The engines' own tuning knobs, {@code <engine>.<option>} to value. */
    public Map<String, String> engineProperties() {
        return engineProperties;
    }

    /** The base weights' precision at rest ({@code auto}, {@code float32}, {@code float16}). */
    public String dtype() {
        return dtype;
    }

    /** How the frozen linear weights are quantized on load. */
    public Quantization quantization() {
        return quantization;
    }

    /** Whether training recomputes any block in the backward pass. */
    public boolean gradientCheckpointing() {
        return checkpointedBlocks != 0;
    }

    /**
     * How many of the first decoder blocks training recomputes in the backward pass: 0 (off),
     * a count, or {@link EngineOptions#ALL_BLOCKS}.
     */
    public int checkpointedBlocks() {
        return checkpointedBlocks;
    }

    /** The options an engine loads with. */
    public EngineOptions engineOptions() {
        return new EngineOptions(device, threads).withWeightDtype(dtype).withQuantization(quantization, quantizationBlockSize)
                .withCheckpointedBlocks(checkpointedBlocks).withEngineProperties(engineProperties);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Peft4jSettings s && s.engine.equals(engine) && s.device.equals(device) && s.threads == threads
                && s.dtype.equals(dtype) && s.quantization == quantization && s.quantizationBlockSize == quantizationBlockSize
                && s.checkpointedBlocks == checkpointedBlocks && s.extra.equals(extra)
                && s.engineProperties.equals(engineProperties);
    }

    @Override
    public int hashCode() {
        return Objects.hash(engine, device, threads, dtype, quantization, quantizationBlockSize, checkpointedBlocks, extra, engineProperties);
    }

    @Override
    public String toString() {
        return "Peft4jSettings{engine=" + engine + ", device=" + device + ", threads=" + threads + ", dtype=" + dtype
                + ", quantization=" + quantization.id() + (quantization == Quantization.INT4 ? "/" + quantizationBlockSize : "")
                + ", gradientCheckpointing=" + EngineOptions.describeCheckpointedBlocks(checkpointedBlocks) + "}";
    }

    /** Builds {@link Peft4jSettings}; null arguments leave a value unchanged, so flags can be layered blindly. */
    public static final class Builder {
        private String engine = defaultEngineName();
        private String device = "auto";
        private int threads;
        private String dtype = "auto";
        private Quantization quantization = Quantization.NONE;
        private int quantizationBlockSize = Quantization.DEFAULT_BLOCK_SIZE;
        private int checkpointedBlocks;
        private final Map<String, String> extra = new LinkedHashMap<>();
        private final Map<String, String> engineProperties = new LinkedHashMap<>();

        private Builder() {}

        private static String defaultEngineName() {
            // No engine installed is reported when an engine is asked for, not here.
            return Engines.installed().isEmpty() ? FALLBACK_ENGINE : Engines.defaultEngine().name();
        }

        public Builder engine(String name) {
            if (name != null) {
                engine = requireText(name, "engine");
            }
            return this;
        }

        public Builder device(String name) {
            if (name != null) {
                device = requireText(name, "device");
            }
            return this;
        }

        public Builder threads(Integer count) {
            if (count != null) {
                if (count < 0) {
                    throw new Peft4jException("threads must be >= 0 (0 = the engine's default), got " + count);
                }
                threads = count;
            }
            return this;
        }

        /** The base weights' precision at rest: auto, float32 or float16 (checked here). */
        public Builder dtype(String name) {
            if (name != null) {
                dtype = new EngineOptions("auto", 0).withWeightDtype(name).weightDtype();
            }
            return this;
        }

        /** none, int8 or int4 (checked here). */
        public Builder quantization(String name) {
            if (name != null) {
                quantization = Quantization.parse(name);
            }
            return this;
        }

        /** The int4 block size: a power of two from 16 to 256. */
        public Builder quantizationBlockSize(Integer size) {
            if (size != null) {
                quantizationBlockSize = Quantization.checkBlockSize(size);
            }
            return this;
        }

        /**
         * Sets one engine's tuning knob, {@code <engine>.<option>} (e.g. {@code onnx.quantized_matmul});
         * the engine checks the option name and value when it loads a model.
         */
        public Builder engineProperty(String key, String value) {
            EngineOptions.defaults().withEngineProperty(key, value); // checks the key's form
            engineProperties.put(key, value);
            return this;
        }

        private static boolean isEngineProperty(String key) {
            int dot = key.indexOf('.');
            if (dot <= 0) {
                return false;
            }
            String engine = key.substring(0, dot);
            return Engines.installed().stream().anyMatch(en -> en.name().equals(engine));
        }

        /** Every block checkpointed ({@code true}) or none. */
        public Builder gradientCheckpointing(Boolean on) {
            if (on != null) {
                checkpointedBlocks = on ? EngineOptions.ALL_BLOCKS : 0;
            }
            return this;
        }

        /** The first {@code blocks} decoder blocks checkpointed (0: none; {@link EngineOptions#ALL_BLOCKS}: all). */
        public Builder checkpointedBlocks(Integer blocks) {
            if (blocks != null) {
                checkpointedBlocks = EngineOptions.defaults().withCheckpointedBlocks(blocks).checkpointedBlocks();
            }
            return this;
        }

        /**
         * {@code gradient_checkpointing} as written in a settings file, a system property or a flag:
         * {@code true} (every block), {@code false}, or how many of the first blocks.
         */
        public Builder gradientCheckpointing(String where, String value) {
            if (value != null) {
                checkpointedBlocks = parseCheckpointing(where, value);
            }
            return this;
        }

        /** Applies a {@code .properties} or JSON file (JSON when it ends in {@code .json} or starts with '{'). */
        public Builder applyFile(Path file) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new Peft4jException(file + ": settings file not found");
            } catch (IOException e) {
                throw new Peft4jException(file + ": cannot read settings: " + e.getMessage(), e);
            }
            boolean json = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json")
                    || text.stripLeading().startsWith("{");
            Map<String, String> values = json ? parseJson(file, text) : parseProperties(file, text);
            for (Map.Entry<String, String> e : values.entrySet()) {
                String key = e.getKey().startsWith("peft4j.") ? e.getKey().substring("peft4j.".length()) : e.getKey();
                String where = file + ": '" + e.getKey() + "'";
                switch (key) {
                    case "engine" -> engine(valueOrFail(where, e.getValue()));
                    case "device" -> device(valueOrFail(where, e.getValue()));
                    case "threads" -> threads(parseThreads(where, e.getValue()));
                    case "dtype" -> dtype(valueOrFail(where, e.getValue()));
                    case "quantization" -> quantization(valueOrFail(where, e.getValue()));
                    case "quantization_block_size" -> quantizationBlockSize(parseThreads(where, e.getValue()));
                    case "gradient_checkpointing" -> gradientCheckpointing(where, valueOrFail(where, e.getValue()));
                    default -> {
                        if (isEngineProperty(key)) {
                            engineProperty(key, valueOrFail(where, e.getValue()));
                        } else {
                            extra.put(e.getKey(), e.getValue());
                        }
                    }
                }
            }
            return this;
        }

        /** Applies {@code peft4j.engine}, {@code peft4j.device} and {@code peft4j.threads} when set. */
        public Builder applySystemProperties(Properties props) {
            engine(props.getProperty(ENGINE_PROPERTY));
            device(props.getProperty(DEVICE_PROPERTY));
            String t = props.getProperty(THREADS_PROPERTY);
            if (t != null) {
                threads(parseThreads("system property " + THREADS_PROPERTY, t));
            }
            dtype(props.getProperty("peft4j.dtype"));
            quantization(props.getProperty("peft4j.quantization"));
            String bs = props.getProperty("peft4j.quantization_block_size");
            if (bs != null) {
                quantizationBlockSize(parseThreads("system property peft4j.quantization_block_size", bs));
            }
            gradientCheckpointing("system property peft4j.gradient_checkpointing", props.getProperty("peft4j.gradient_checkpointing"));
            props.stringPropertyNames().stream().sorted().filter(k -> k.startsWith("peft4j."))
                    .map(k -> k.substring("peft4j.".length())).filter(Builder::isEngineProperty)
                    .forEach(k -> engineProperty(k, props.getProperty("peft4j." + k)));
            return this;
        }

        public Peft4jSettings build() {
            return new Peft4jSettings(this);
        }

        private static Map<String, String> parseJson(Path file, String text) {
            JsonElement root;
            try {
                root = JsonParser.parseString(text);
            } catch (JsonParseException e) {
                throw new Peft4jException(file + ": settings are not valid JSON: " + e.getMessage(), e);
            }
            if (!root.isJsonObject()) {
                throw new Peft4jException(file + ": settings must be a JSON object");
            }
            Map<String, String> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : ((JsonObject) root).entrySet()) {
                JsonElement v = e.getValue();
                out.put(e.getKey(), v.isJsonNull() ? null : v.isJsonPrimitive() ? v.getAsString() : v.toString());
            }
            return out;
        }

        private static Map<String, String> parseProperties(Path file, String text) {
            Properties p = new Properties();
            try {
                p.load(new StringReader(text));
            } catch (IOException | IllegalArgumentException e) {
                throw new Peft4jException(file + ": settings are not a valid properties file: " + e.getMessage(), e);
            }
            Map<String, String> out = new LinkedHashMap<>();
            p.stringPropertyNames().stream().sorted().forEach(k -> out.put(k, p.getProperty(k)));
            return out;
        }

        private static String valueOrFail(String where, String value) {
            if (value == null) {
                throw new Peft4jException(where + " must not be null");
            }
            return value;
        }

        private static int parseThreads(String where, String value) {
            try {
                return Integer.parseInt(valueOrFail(where, value).trim());
            } catch (NumberFormatException e) {
                throw new Peft4jException(where + ": threads must be an integer, got '" + value + "'");
            }
        }

        /**
         * A {@code gradient_checkpointing} value: {@code true} or {@code all} ({@link EngineOptions#ALL_BLOCKS}),
         * {@code false} (0), or a block count; anything else fails naming {@code where}.
         */
        public static int parseCheckpointing(String where, String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            switch (v) {
                case "true", "all" -> {
                    return EngineOptions.ALL_BLOCKS;
                }
                case "false" -> {
                    return 0;
                }
                default -> {
                    try {
                        int n = Integer.parseInt(v);
                        if (n >= 0) {
                            return n;
                        }
                    } catch (NumberFormatException e) {
                        // reported below
                    }
                    throw new Peft4jException(where + ": expected true, false or a block count >= 0 (the first that many "
                            + "blocks are checkpointed), got '" + value + "'");
                }
            }
        }

        private static String requireText(String value, String what) {
            String v = value.trim();
            if (v.isEmpty()) {
                throw new Peft4jException(what + " must not be empty");
            }
            return v;
        }
    }
}
