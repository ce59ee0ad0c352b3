package ai.peft4j.lora;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.ModuleSelector;
import ai.peft4j.api.method.PeftConfig;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LoRA configuration with Hugging Face PEFT's {@code LoraConfig} keys, defaults and checks, read
 * from and written to {@code adapter_config.json}. Immutable; change it with {@link #toBuilder()}.
 *
 * <p>{@code target_modules} and {@code exclude_modules} are either a regex string (full match
 * against the module path; {@code "all-linear"} for every linear layer except the output head)
 * or a list of names (a module matches an exact path or a {@code .}-separated suffix); absent
 * targets take the architecture's PEFT default. Keys PEFT knows but peft4j does not implement
 * (DoRA, {@code lora_bias}, {@code modules_to_save}, ...) are accepted only at their defaults;
 * unknown keys are ignored with a warning, as PEFT does.
 *
 * <pre>{@code
 * LoraConfig cfg = LoraConfig.builder().r(8).loraAlpha(16).targetModules(List.of("q_proj", "v_proj")).build();
 * LoraConfig loaded = LoraConfig.parse(AdapterFiles.readConfig(dir), "adapter_config.json");
 * }</pre>
 */
public final class LoraConfig implements PeftConfig {
    /** PEFT's {@code peft_type} for LoRA. */
    public static final String PEFT_TYPE = "LORA";
    /** The {@code target_modules} shorthand for every linear layer except the output head. */
    public static final String ALL_LINEAR = ModuleSelector.ALL_LINEAR;
    /** The PEFT release whose {@code adapter_config.json} layout this class writes. */
    public static final String PEFT_VERSION = "0.21.0";

    private static final Logger LOG = LoggerFactory.getLogger(LoraConfig.class);

    /** How A and B start ({@code init_lora_weights}). */
    public enum InitLoraWeights {
        /** {@code true}: A kaiming-uniform(a=√5), that is U(±1/√in); B = 0. The adapter starts as a no-op. */
        DEFAULT,
        /** {@code false}: A and B both as torch's nn.Linear default, U(±1/√fan_in); the adapter changes the output. */
        RANDOM,
        /** {@code "gaussian"}: A ~ N(0, (1/r)²) (std 1/r, as PEFT); B = 0. */
        GAUSSIAN;

        JsonElement toJson() {
            return switch (this) {
                case DEFAULT -> new JsonPrimitive(true);
                case RANDOM -> new JsonPrimitive(false);
                case GAUSSIAN -> new JsonPrimitive("gaussian");
            };
        }
    }

    /** PEFT 0.21 keys peft4j stores verbatim, with PEFT's defaults. */
    private static final Map<String, JsonElement> PASSTHROUGH_DEFAULTS = new TreeMap<>();
    /** PEFT keys whose non-default values would change the model in ways peft4j does not implement. */
    private static final Map<String, String> UNSUPPORTED = new TreeMap<>();

    static {
        for (String k : List.of("auto_mapping", "corda_config", "eva_config", "lora_ga_config", "megatron_config", "revision")) {
            PASSTHROUGH_DEFAULTS.put(k, JsonNull.INSTANCE);
        }
        PASSTHROUGH_DEFAULTS.put("ensure_weight_tying", new JsonPrimitive(false));
        PASSTHROUGH_DEFAULTS.put("loftq_config", new JsonObject());
        PASSTHROUGH_DEFAULTS.put("megatron_core", new JsonPrimitive("megatron.core"));
        PASSTHROUGH_DEFAULTS.put("qalora_group_size", new JsonPrimitive(16));
        UNSUPPORTED.put("alora_invocation_tokens", "aLoRA");
        UNSUPPORTED.put("arrow_config", "Arrow routing");
        UNSUPPORTED.put("kasa_config", "KaSA");
        UNSUPPORTED.put("layer_replication", "layer replication");
        UNSUPPORTED.put("lora_bias", "a bias on lora_B");
        UNSUPPORTED.put("modules_to_save", "modules_to_save (full copies of base modules)");
        UNSUPPORTED.put("monteclora_config", "MonteCLoRA");
        UNSUPPORTED.put("target_parameters", "targeting nn.Parameters");
        UNSUPPORTED.put("trainable_token_indices", "trainable tokens");
        UNSUPPORTED.put("use_bdlora", "BD-LoRA");
        UNSUPPORTED.put("use_dora", "DoRA");
        UNSUPPORTED.put("use_qalora", "QA-LoRA");
        UNSUPPORTED.put("velora_config", "VeLoRA");
    }

    private static final Set<String> MODELLED = Set.of("peft_type", "task_type", "base_model_name_or_path", "inference_mode",
            "peft_version", "r", "lora_alpha", "lora_dropout", "target_modules", "exclude_modules", "fan_in_fan_out", "bias",
            "use_rslora", "init_lora_weights", "layers_to_transform", "layers_pattern", "rank_pattern", "alpha_pattern");

    private final int r;
    private final double loraAlpha;
    private final double loraDropout;
    private final ModuleSelector targetModules;
    private final ModuleSelector excludeModules;
    private final boolean fanInFanOut;
    private final String bias;
    private final boolean useRslora;
    private final InitLoraWeights initLoraWeights;
    private final List<Integer> layersToTransform;
    private final boolean layersToTransformScalar;
    private final List<String> layersPattern;
    private final boolean layersPatternScalar;
    private final Map<String, Integer> rankPattern;
    private final Map<String, Double> alphaPattern;
    private final String baseModelNameOrPath;
    private final String taskType;
    private final Map<String, JsonElement> passthrough;
    private final List<String> ignoredKeys;

    private LoraConfig(Builder b) {
        this.r = b.r;
        this.loraAlpha = b.loraAlpha;
        this.loraDropout = b.loraDropout;
        this.targetModules = b.targetModules;
        this.excludeModules = b.excludeModules;
        this.fanInFanOut = b.fanInFanOut;
        this.bias = b.bias;
        this.useRslora = b.useRslora;
        this.initLoraWeights = b.initLoraWeights;
        this.layersToTransform = b.layersToTransform == null ? null : List.copyOf(b.layersToTransform);
        this.layersToTransformScalar = b.layersToTransformScalar;
        this.layersPattern = b.layersPattern == null ? null : List.copyOf(b.layersPattern);
        this.layersPatternScalar = b.layersPatternScalar;
        this.rankPattern = Collections.unmodifiableMap(new LinkedHashMap<>(b.rankPattern));
        this.alphaPattern = Collections.unmodifiableMap(new LinkedHashMap<>(b.alphaPattern));
        this.baseModelNameOrPath = b.baseModelNameOrPath;
        this.taskType = b.taskType;
        this.passthrough = Collections.unmodifiableMap(new TreeMap<>(b.passthrough));
        this.ignoredKeys = List.copyOf(b.ignoredKeys);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.r = r;
        b.loraAlpha = loraAlpha;
        b.loraDropout = loraDropout;
        b.targetModules = targetModules;
        b.excludeModules = excludeModules;
        b.fanInFanOut = fanInFanOut;
        b.bias = bias;
        b.useRslora = useRslora;
        b.initLoraWeights = initLoraWeights;
        b.layersToTransform = layersToTransform;
        b.layersToTransformScalar = layersToTransformScalar;
        b.layersPattern = layersPattern;
        b.layersPatternScalar = layersPatternScalar;
        b.rankPattern = new LinkedHashMap<>(rankPattern);
        b.alphaPattern = new LinkedHashMap<>(alphaPattern);
        b.baseModelNameOrPath = baseModelNameOrPath;
        b.taskType = taskType;
        b.passthrough = new TreeMap<>(passthrough);
        return b;
    }

    // ---- accessors ----------------------------------------------------------------------------

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /** {@code r}: the rank (default 8). */
    public int r() {
        return r;
    }

    /** {@code lora_alpha} (default 8). */
    public double loraAlpha() {
        return loraAlpha;
    }

    /** {@code lora_dropout}, applied to the LoRA input only (default 0). */
    public double loraDropout() {
        return loraDropout;
    }

    /** {@code target_modules}, or null for the architecture's default. */
    public ModuleSelector targetModules() {
        return targetModules;
    }

    /** {@code exclude_modules}, or null. */
    public ModuleSelector excludeModules() {
        return excludeModules;
    }

    /** {@code fan_in_fan_out}: true when the targeted weights are stored {@code [in, out]} (GPT-2 Conv1D). */
    public boolean fanInFanOut() {
        return fanInFanOut;
    }

    /** {@code bias}: only {@code "none"} is implemented. */
    public String bias() {
        return bias;
    }

    /** {@code use_rslora}: scale by alpha/√r instead of alpha/r. */
    public boolean useRslora() {
        return useRslora;
    }

    public InitLoraWeights initLoraWeights() {
        return initLoraWeights;
    }

    /** {@code layers_to_transform}, or null for every layer. */
    public List<Integer> layersToTransform() {
        return layersToTransform;
    }

    /** {@code layers_pattern}, or null. */
    public List<String> layersPattern() {
        return layersPattern;
    }

    /** {@code rank_pattern}: module regex to rank, in file order. */
    public Map<String, Integer> rankPattern() {
        return rankPattern;
    }

    /** {@code alpha_pattern}: module regex to alpha, in file order. */
    public Map<String, Double> alphaPattern() {
        return alphaPattern;
    }

    public String baseModelNameOrPath() {
        return baseModelNameOrPath;
    }

    public String taskType() {
        return taskType;
    }

    /** The keys {@link #parse} ignored because PEFT's LoraConfig has no such field. */
    public List<String> ignoredKeys() {
        return ignoredKeys;
    }

    // ---- JSON ---------------------------------------------------------------------------------

    /**
     * Reads PEFT's {@code adapter_config.json} object. Missing keys take PEFT's defaults; unknown
     * keys are logged and ignored; bad values fail with a message naming {@code source} and the key.
     */
    public static LoraConfig parse(JsonObject json, String source) {
        Json j = new Json(json, source);
        String type = j.string("peft_type", PEFT_TYPE);
        if (!PEFT_TYPE.equalsIgnoreCase(type)) {
            throw new Peft4jException(source + ": peft_type is '" + type + "', not " + PEFT_TYPE);
        }
        Builder b = builder();
        b.r(j.integer("r", 8));
        b.loraAlpha(j.number("lora_alpha", 8));
        b.loraDropout(j.number("lora_dropout", 0.0));
        b.targetModules = j.selector("target_modules");
        b.excludeModules = j.selector("exclude_modules");
        b.fanInFanOut(j.bool("fan_in_fan_out", false));
        b.bias(j.string("bias", "none"));
        b.useRslora(j.bool("use_rslora", false));
        b.initLoraWeights(j.init());
        JsonElement layers = j.get("layers_to_transform");
        if (layers != null) {
            if (layers.isJsonArray()) {
                b.layersToTransform(j.intList("layers_to_transform", layers));
            } else {
                b.layersToTransform(j.integer("layers_to_transform", 0));
                b.layersToTransformScalar = true;
            }
        }
        JsonElement pattern = j.get("layers_pattern");
        if (pattern != null) {
            if (pattern.isJsonArray()) {
                b.layersPattern(j.stringList("layers_pattern", pattern));
            } else {
                String one = j.string("layers_pattern", null);
                b.layersPattern(one.isEmpty() ? null : one); // PEFT treats "" as "any layer list"
            }
        }
        b.rankPattern = j.intMap("rank_pattern");
        b.alphaPattern = j.numberMap("alpha_pattern");
        b.baseModelNameOrPath(j.string("base_model_name_or_path", null));
        String task = j.string("task_type", null);
        if (task != null && !task.equals("CAUSAL_LM")) {
            LOG.warn("{}: task_type {} is kept as written, but peft4j runs every model as CAUSAL_LM", source, task);
        }
        b.taskType(task == null ? "CAUSAL_LM" : task);
        for (Map.Entry<String, JsonElement> e : PASSTHROUGH_DEFAULTS.entrySet()) {
            JsonElement v = j.get(e.getKey());
            if (v != null) {
                b.passthrough.put(e.getKey(), v.deepCopy());
            }
        }
        for (Map.Entry<String, String> e : UNSUPPORTED.entrySet()) {
            JsonElement v = j.get(e.getKey());
            if (v != null && !isDefaultLike(v)) {
                throw new Peft4jException(source + ": " + e.getKey() + " = " + v + " asks for " + e.getValue()
                        + ", which peft4j does not implement (supported: plain LoRA, rsLoRA, rank/alpha patterns)");
            }
        }
        List<String> unknown = new ArrayList<>();
        for (String k : json.keySet()) {
            if (!MODELLED.contains(k) && !PASSTHROUGH_DEFAULTS.containsKey(k) && !UNSUPPORTED.containsKey(k)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            LOG.warn("{}: ignoring keys that PEFT's LoraConfig does not have: {}", source, unknown);
        }
        b.ignoredKeys = unknown;
        try {
            return b.build();
        } catch (Peft4jException e) {
            throw new Peft4jException(source + ": " + e.getMessage(), e);
        }
    }

    private static boolean isDefaultLike(JsonElement v) {
        if (v.isJsonNull()) {
            return true;
        }
        if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isBoolean()) {
            return !v.getAsBoolean();
        }
        if (v.isJsonArray()) {
            return v.getAsJsonArray().isEmpty();
        }
        return v.isJsonObject() && v.getAsJsonObject().size() == 0;
    }

    /** The complete {@code adapter_config.json} PEFT 0.21 writes for this config (keys sorted, as PEFT). */
    @Override
    public JsonObject toJson() {
        TreeMap<String, JsonElement> m = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : PASSTHROUGH_DEFAULTS.entrySet()) {
            m.put(e.getKey(), passthrough.getOrDefault(e.getKey(), e.getValue()).deepCopy());
        }
        m.put("alora_invocation_tokens", JsonNull.INSTANCE);
        m.put("arrow_config", JsonNull.INSTANCE);
        m.put("kasa_config", JsonNull.INSTANCE);
        m.put("layer_replication", JsonNull.INSTANCE);
        m.put("lora_bias", new JsonPrimitive(false));
        m.put("modules_to_save", JsonNull.INSTANCE);
        m.put("monteclora_config", JsonNull.INSTANCE);
        m.put("target_parameters", JsonNull.INSTANCE);
        m.put("trainable_token_indices", JsonNull.INSTANCE);
        m.put("use_bdlora", JsonNull.INSTANCE);
        m.put("use_dora", new JsonPrimitive(false));
        m.put("use_qalora", new JsonPrimitive(false));
        m.put("velora_config", JsonNull.INSTANCE);

        JsonObject alpha = new JsonObject();
        alphaPattern.forEach((k, v) -> alpha.add(k, number(v)));
        m.put("alpha_pattern", alpha);
        m.put("base_model_name_or_path", baseModelNameOrPath == null ? JsonNull.INSTANCE : new JsonPrimitive(baseModelNameOrPath));
        m.put("bias", new JsonPrimitive(bias));
        m.put("exclude_modules", excludeModules == null ? JsonNull.INSTANCE : excludeModules.toJson());
        m.put("fan_in_fan_out", new JsonPrimitive(fanInFanOut));
        m.put("inference_mode", new JsonPrimitive(true)); // PEFT's save_pretrained always writes true
        m.put("init_lora_weights", initLoraWeights.toJson());
        if (layersPattern == null) {
            m.put("layers_pattern", JsonNull.INSTANCE);
        } else if (layersPatternScalar && layersPattern.size() == 1) {
            m.put("layers_pattern", new JsonPrimitive(layersPattern.get(0)));
        } else {
            JsonArray a = new JsonArray();
            layersPattern.forEach(a::add);
            m.put("layers_pattern", a);
        }
        if (layersToTransform == null) {
            m.put("layers_to_transform", JsonNull.INSTANCE);
        } else if (layersToTransformScalar && layersToTransform.size() == 1) {
            m.put("layers_to_transform", new JsonPrimitive(layersToTransform.get(0)));
        } else {
            JsonArray a = new JsonArray();
            layersToTransform.forEach(a::add);
            m.put("layers_to_transform", a);
        }
        m.put("lora_alpha", number(loraAlpha));
        m.put("lora_dropout", new JsonPrimitive(loraDropout));
        m.put("peft_type", new JsonPrimitive(PEFT_TYPE));
        m.put("peft_version", new JsonPrimitive(PEFT_VERSION));
        m.put("r", new JsonPrimitive(r));
        JsonObject ranks = new JsonObject();
        rankPattern.forEach(ranks::addProperty);
        m.put("rank_pattern", ranks);
        m.put("target_modules", targetModules == null ? JsonNull.INSTANCE : targetModules.toJson());
        m.put("task_type", new JsonPrimitive(taskType));
        m.put("use_rslora", new JsonPrimitive(useRslora));
        JsonObject o = new JsonObject();
        m.forEach(o::add);
        return o;
    }

    /** Integral values as JSON integers, as Python writes ints. */
    private static JsonPrimitive number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return new JsonPrimitive((long) v);
        }
        return new JsonPrimitive(v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LoraConfig c && toJson().equals(c.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return "LoraConfig" + toJson();
    }

    // ---- builder ------------------------------------------------------------------------------

    /** Builds a {@link LoraConfig}; {@link #build()} validates as PEFT's {@code __post_init__} does. */
    public static final class Builder {
        private int r = 8;
        private double loraAlpha = 8;
        private double loraDropout = 0.0;
        private ModuleSelector targetModules;
        private ModuleSelector excludeModules;
        private boolean fanInFanOut;
        private String bias = "none";
        private boolean useRslora;
        private InitLoraWeights initLoraWeights = InitLoraWeights.DEFAULT;
        private List<Integer> layersToTransform;
        private boolean layersToTransformScalar;
        private List<String> layersPattern;
        private boolean layersPatternScalar;
        private Map<String, Integer> rankPattern = new LinkedHashMap<>();
        private Map<String, Double> alphaPattern = new LinkedHashMap<>();
        private String baseModelNameOrPath;
        private String taskType = "CAUSAL_LM";
        private Map<String, JsonElement> passthrough = new TreeMap<>();
        private List<String> ignoredKeys = List.of();

        private Builder() {}

        public Builder r(int r) {
            this.r = r;
            return this;
        }

        public Builder loraAlpha(double alpha) {
            this.loraAlpha = alpha;
            return this;
        }

        public Builder loraDropout(double p) {
            this.loraDropout = p;
            return this;
        }

        /** A regex matched against the whole module path, or {@link #ALL_LINEAR}. */
        public Builder targetModules(String regex) {
            this.targetModules = regex == null ? null : ModuleSelector.regex(regex);
            return this;
        }

        /** Module names matched exactly or as a '.'-suffix ({@code q_proj}, {@code self_attn.v_proj}). */
        public Builder targetModules(List<String> names) {
            this.targetModules = names == null ? null : ModuleSelector.names(names);
            return this;
        }

        public Builder targetModules(ModuleSelector selector) {
            this.targetModules = selector;
            return this;
        }

        public Builder excludeModules(String regex) {
            this.excludeModules = regex == null ? null : ModuleSelector.regex(regex);
            return this;
        }

        public Builder excludeModules(List<String> names) {
            this.excludeModules = names == null ? null : ModuleSelector.names(names);
            return this;
        }

        public Builder fanInFanOut(boolean fanInFanOut) {
            this.fanInFanOut = fanInFanOut;
            return this;
        }

        public Builder bias(String bias) {
            this.bias = bias;
            return this;
        }

        public Builder useRslora(boolean useRslora) {
            this.useRslora = useRslora;
            return this;
        }

        public Builder initLoraWeights(InitLoraWeights init) {
            this.initLoraWeights = Objects.requireNonNull(init, "initLoraWeights");
            return this;
        }

        public Builder layersToTransform(List<Integer> layers) {
            this.layersToTransform = layers;
            this.layersToTransformScalar = false;
            return this;
        }

        public Builder layersToTransform(int layer) {
            this.layersToTransform = List.of(layer);
            this.layersToTransformScalar = true;
            return this;
        }

        public Builder layersPattern(String pattern) {
            this.layersPattern = pattern == null ? null : List.of(pattern);
            this.layersPatternScalar = true;
            return this;
        }

        public Builder layersPattern(List<String> patterns) {
            this.layersPattern = patterns;
            this.layersPatternScalar = false;
            return this;
        }

        /** Module regex to rank; keys are tried in insertion order, as PEFT does. */
        public Builder rankPattern(Map<String, Integer> pattern) {
            this.rankPattern = new LinkedHashMap<>(pattern);
            return this;
        }

        public Builder alphaPattern(Map<String, ? extends Number> pattern) {
            this.alphaPattern = new LinkedHashMap<>();
            pattern.forEach((k, v) -> alphaPattern.put(k, v.doubleValue()));
            return this;
        }

        public Builder baseModelNameOrPath(String name) {
            this.baseModelNameOrPath = name;
            return this;
        }

        public Builder taskType(String taskType) {
            this.taskType = Objects.requireNonNull(taskType, "taskType");
            return this;
        }

        public LoraConfig build() {
            if (r <= 0) {
                throw new Peft4jException("r must be a positive integer, got " + r);
            }
            if (!(loraDropout >= 0 && loraDropout <= 1)) {
                throw new Peft4jException("lora_dropout must be in [0, 1], got " + loraDropout);
            }
            if (!Double.isFinite(loraAlpha)) {
                throw new Peft4jException("lora_alpha must be a finite number, got " + loraAlpha);
            }
            switch (bias) {
                case "none":
                    break;
                case "all":
                case "lora_only":
                    throw new Peft4jException("bias '" + bias + "' (training base-model biases) is not implemented in peft4j; use 'none'");
                default:
                    throw new Peft4jException("bias must be 'none', 'all' or 'lora_only', got '" + bias + "'");
            }
            if (targetModules != null && targetModules.isRegex()) {
                if (layersToTransform != null) {
                    throw new Peft4jException("layers_to_transform cannot be used when target_modules is a str (regex '"
                            + targetModules.regexString() + "'); give target_modules as a list");
                }
                if (layersPattern != null && !layersPattern.isEmpty()) {
                    throw new Peft4jException("layers_pattern cannot be used when target_modules is a str (regex '"
                            + targetModules.regexString() + "'); give target_modules as a list");
                }
            }
            if (layersPattern != null && !layersPattern.isEmpty() && (layersToTransform == null || layersToTransform.isEmpty())) {
                throw new Peft4jException("when layers_pattern is specified, layers_to_transform must also be specified");
            }
            if (layersToTransform != null) {
                for (Integer i : layersToTransform) {
                    if (i == null || i < 0) {
                        throw new Peft4jException("layers_to_transform must hold layer indices >= 0, got " + layersToTransform);
                    }
                }
            }
            for (String p : layersPattern == null ? List.<String>of() : layersPattern) {
                checkRegex("layers_pattern", p, LoraTargets::layerPattern);
            }
            for (Map.Entry<String, Integer> e : rankPattern.entrySet()) {
                checkRegex("rank_pattern", e.getKey(), LoraTargets::keyPattern);
                if (e.getValue() == null || e.getValue() <= 0) {
                    throw new Peft4jException("rank_pattern['" + e.getKey() + "'] must be a positive integer, got " + e.getValue());
                }
            }
            for (Map.Entry<String, Double> e : alphaPattern.entrySet()) {
                checkRegex("alpha_pattern", e.getKey(), LoraTargets::keyPattern);
                if (e.getValue() == null || !Double.isFinite(e.getValue())) {
                    throw new Peft4jException("alpha_pattern['" + e.getKey() + "'] must be a finite number, got " + e.getValue());
                }
            }
            return new LoraConfig(this);
        }

        /** Checks a regex alone and embedded as PEFT uses it: a valid regex ({@code \Q...}) can break its host. */
        private static void checkRegex(String what, String regex, Function<String, Pattern> embedded) {
            try {
                Pattern.compile(regex);
                embedded.apply(regex);
            } catch (PatternSyntaxException e) {
                throw new Peft4jException(what + " key '" + regex + "' is not a valid regular expression: " + e.getDescription());
            }
        }
    }

    // ---- typed JSON access with precise errors --------------------------------------------------

    private static final class Json {
        private final JsonObject o;
        private final String source;

        Json(JsonObject o, String source) {
            this.o = o;
            this.source = source;
        }

        /** The value, or null when absent or JSON null. */
        JsonElement get(String key) {
            JsonElement e = o.get(key);
            return e == null || e.isJsonNull() ? null : e;
        }

        private Peft4jException bad(String key, String expected, JsonElement got) {
            return new Peft4jException(source + ": " + key + " must be " + expected + ", got " + got);
        }

        int integer(String key, int def) {
            JsonElement e = get(key);
            if (e == null) {
                return def;
            }
            return asInt(key, e);
        }

        private int asInt(String key, JsonElement e) {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw bad(key, "an integer", e);
            }
            double d = e.getAsDouble();
            if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                throw bad(key, "an integer", e);
            }
            return (int) d;
        }

        double number(String key, double def) {
            JsonElement e = get(key);
            if (e == null) {
                return def;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw bad(key, "a number", e);
            }
            return e.getAsDouble();
        }

        boolean bool(String key, boolean def) {
            JsonElement e = get(key);
            if (e == null) {
                return def;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw bad(key, "true or false", e);
            }
            return e.getAsBoolean();
        }

        String string(String key, String def) {
            JsonElement e = get(key);
            if (e == null) {
                return def;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw bad(key, "a string", e);
            }
            return e.getAsString();
        }

        List<Integer> intList(String key, JsonElement e) {
            List<Integer> out = new ArrayList<>();
            for (JsonElement x : e.getAsJsonArray()) {
                if (x.isJsonNull()) {
                    throw bad(key, "a list of integers", e);
                }
                out.add(asInt(key, x));
            }
            return out;
        }

        List<String> stringList(String key, JsonElement e) {
            List<String> out = new ArrayList<>();
            for (JsonElement x : e.getAsJsonArray()) {
                if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString()) {
                    throw bad(key, "a string or a list of strings", e);
                }
                out.add(x.getAsString());
            }
            return out;
        }

        ModuleSelector selector(String key) {
            JsonElement e = get(key);
            if (e == null) {
                return null;
            }
            try {
                if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
                    return ModuleSelector.regex(e.getAsString());
                }
                if (e.isJsonArray()) {
                    return ModuleSelector.names(stringList(key, e));
                }
            } catch (Peft4jException ex) {
                throw new Peft4jException(source + ": " + key + ": " + ex.getMessage(), ex);
            }
            throw bad(key, "a regex string or a list of module names", e);
        }

        InitLoraWeights init() {
            JsonElement e = get("init_lora_weights");
            if (e == null) {
                return InitLoraWeights.DEFAULT;
            }
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()) {
                return e.getAsBoolean() ? InitLoraWeights.DEFAULT : InitLoraWeights.RANDOM;
            }
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()
                    && e.getAsString().toLowerCase(Locale.ROOT).equals("gaussian")) {
                return InitLoraWeights.GAUSSIAN;
            }
            throw new Peft4jException(source + ": init_lora_weights " + e
                    + " is not implemented in peft4j (supported: true, false, \"gaussian\"); "
                    + "data-driven inits such as PiSSA, OLoRA, EVA or LoftQ are not available");
        }

        Map<String, Integer> intMap(String key) {
            Map<String, Integer> out = new LinkedHashMap<>();
            JsonElement e = get(key);
            if (e == null) {
                return out;
            }
            if (!e.isJsonObject()) {
                throw bad(key, "an object of module pattern to integer", e);
            }
            for (Map.Entry<String, JsonElement> x : e.getAsJsonObject().entrySet()) {
                out.put(x.getKey(), asInt(key + "['" + x.getKey() + "']", x.getValue()));
            }
            return out;
        }

        Map<String, Double> numberMap(String key) {
            Map<String, Double> out = new LinkedHashMap<>();
            JsonElement e = get(key);
            if (e == null) {
                return out;
            }
            if (!e.isJsonObject()) {
                throw bad(key, "an object of module pattern to number", e);
            }
            for (Map.Entry<String, JsonElement> x : e.getAsJsonObject().entrySet()) {
                JsonElement v = x.getValue();
                if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                    throw bad(key + "['" + x.getKey() + "']", "a number", v);
                }
                out.put(x.getKey(), v.getAsDouble());
            }
            return out;
        }
    }
}
