package ai.peft4j.examples.ia3;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.ModuleSelector;
import ai.peft4j.api.method.PeftConfig;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An (IA)³ configuration with Hugging Face PEFT's {@code IA3Config} keys and defaults, read from
 * and written to {@code adapter_config.json}. Immutable; change it with {@link #toBuilder()}.
 *
 * <p>{@code target_modules} and {@code exclude_modules} follow PEFT's matching (see
 * {@link ModuleSelector}); absent targets and feed-forward modules take PEFT's per-architecture
 * defaults when the adapter is created. A targeted module that is a feed-forward module scales its
 * input; any other scales its output.
 *
 * <pre>{@code
 * Ia3Config cfg = Ia3Config.builder().setTargetModules(List.of("k_proj", "v_proj", "down_proj"))
 *     .setFeedforwardModules(List.of("down_proj")).build();
 * }</pre>
 */
public final class Ia3Config implements PeftConfig {
    /** PEFT's {@code peft_type} for (IA)³. */
    public static final String PEFT_TYPE = "IA3";
    /** The PEFT release whose {@code adapter_config.json} layout this class writes. */
    public static final String PEFT_VERSION = "0.21.0";

    private static final Logger LOG = LoggerFactory.getLogger(Ia3Config.class);
    private static final Set<String> KNOWN = Set.of("peft_type", "peft_version", "task_type", "base_model_name_or_path",
            "revision", "auto_mapping", "inference_mode", "target_modules", "exclude_modules", "feedforward_modules",
            "fan_in_fan_out", "modules_to_save", "init_ia3_weights");

    private final ModuleSelector targetModules;
    private final ModuleSelector excludeModules;
    private final ModuleSelector feedforwardModules;
    private final boolean fanInFanOut;
    private final boolean initIa3Weights;
    private final String taskType;
    private final String baseModelNameOrPath;
    private final JsonElement revision;
    private final JsonElement autoMapping;

    private Ia3Config(Builder b) {
        targetModules = b.targetModules;
        excludeModules = b.excludeModules;
        feedforwardModules = b.feedforwardModules;
        fanInFanOut = b.fanInFanOut;
        initIa3Weights = b.initIa3Weights;
        taskType = b.taskType;
        baseModelNameOrPath = b.baseModelNameOrPath;
        revision = b.revision;
        autoMapping = b.autoMapping;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.targetModules = targetModules;
        b.excludeModules = excludeModules;
        b.feedforwardModules = feedforwardModules;
        b.fanInFanOut = fanInFanOut;
        b.initIa3Weights = initIa3Weights;
        b.taskType = taskType;
        b.baseModelNameOrPath = baseModelNameOrPath;
        b.revision = revision;
        b.autoMapping = autoMapping;
        return b;
    }

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    /** {@code target_modules}, or null for the architecture's PEFT default. */
    public ModuleSelector targetModules() {
        return targetModules;
    }

    /** {@code exclude_modules}, or null. */
    public ModuleSelector excludeModules() {
        return excludeModules;
    }

    /** {@code feedforward_modules}, or null for the architecture's PEFT default. */
    public ModuleSelector feedforwardModules() {
        return feedforwardModules;
    }

    /** {@code fan_in_fan_out}: true when the targeted weights are stored {@code [in, out]} (GPT-2 Conv1D). */
    public boolean fanInFanOut() {
        return fanInFanOut;
    }

    /** {@code init_ia3_weights}: true starts every vector at ones (a no-op); false draws N(0, 1) as PEFT. */
    public boolean initIa3Weights() {
        return initIa3Weights;
    }

    public String taskType() {
        return taskType;
    }

    public String baseModelNameOrPath() {
        return baseModelNameOrPath;
    }

    /**
     * PEFT's {@code _check_target_module_feedforward}: a regex must match the whole path; a name
     * list matches a path that ends with a name (a plain string suffix, no '.' boundary, as PEFT).
     */
    public boolean isFeedforward(String module) {
        ModuleSelector ff = feedforwardModules;
        if (ff == null) {
            return false;
        }
        if (ff.isRegex()) {
            return ff.matches(module);
        }
        return ff.nameList().stream().anyMatch(module::endsWith);
    }

    /** Reads PEFT's {@code adapter_config.json}; missing keys take PEFT's defaults, unknown keys are ignored with a warning. */
    public static Ia3Config parse(JsonObject json, String source) {
        try {
            String type = string(json, "peft_type", PEFT_TYPE);
            if (!PEFT_TYPE.equalsIgnoreCase(type)) {
                throw new Peft4jException("peft_type is '" + type + "', not " + PEFT_TYPE);
            }
            JsonElement save = json.get("modules_to_save");
            if (save != null && !save.isJsonNull() && !(save.isJsonArray() && save.getAsJsonArray().isEmpty())) {
                throw new Peft4jException("modules_to_save = " + save + " asks for full copies of base modules, "
                        + "which this plugin does not implement");
            }
            List<String> unknown = new ArrayList<>();
            for (String k : json.keySet()) {
                if (!KNOWN.contains(k)) {
                    unknown.add(k);
                }
            }
            if (!unknown.isEmpty()) {
                LOG.warn("{}: ignoring keys that PEFT's IA3Config does not have: {}", source, unknown);
            }
            Builder b = builder()
                    .setTargetModules(ModuleSelector.fromJson(json.get("target_modules"), "target_modules"))
                    .setExcludeModules(ModuleSelector.fromJson(json.get("exclude_modules"), "exclude_modules"))
                    .setFeedforwardModules(ModuleSelector.fromJson(json.get("feedforward_modules"), "feedforward_modules"))
                    .setFanInFanOut(bool(json, "fan_in_fan_out", false))
                    .setInitIa3Weights(bool(json, "init_ia3_weights", true))
                    .setTaskType(string(json, "task_type", "CAUSAL_LM"))
                    .setBaseModelNameOrPath(string(json, "base_model_name_or_path", null));
            b.revision = json.has("revision") ? json.get("revision").deepCopy() : JsonNull.INSTANCE;
            b.autoMapping = json.has("auto_mapping") ? json.get("auto_mapping").deepCopy() : JsonNull.INSTANCE;
            return b.build();
        } catch (Peft4jException e) {
            throw new Peft4jException(source + ": " + e.getMessage(), e);
        }
    }

    private static String string(JsonObject o, String key, String def) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return def;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new Peft4jException(key + " must be a string, got " + e);
        }
        return e.getAsString();
    }

    private static boolean bool(JsonObject o, String key, boolean def) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return def;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new Peft4jException(key + " must be true or false, got " + e);
        }
        return e.getAsBoolean();
    }

    /** The complete {@code adapter_config.json} PEFT writes for this config (keys sorted, as PEFT). */
    @Override
    public JsonObject toJson() {
        Map<String, JsonElement> m = new TreeMap<>();
        m.put("auto_mapping", autoMapping.deepCopy());
        m.put("base_model_name_or_path", baseModelNameOrPath == null ? JsonNull.INSTANCE : new JsonPrimitive(baseModelNameOrPath));
        m.put("exclude_modules", selector(excludeModules));
        m.put("fan_in_fan_out", new JsonPrimitive(fanInFanOut));
        m.put("feedforward_modules", selector(feedforwardModules));
        m.put("inference_mode", new JsonPrimitive(true)); // PEFT's save_pretrained always writes true
        m.put("init_ia3_weights", new JsonPrimitive(initIa3Weights));
        m.put("modules_to_save", JsonNull.INSTANCE);
        m.put("peft_type", new JsonPrimitive(PEFT_TYPE));
        m.put("peft_version", new JsonPrimitive(PEFT_VERSION));
        m.put("revision", revision.deepCopy());
        m.put("target_modules", selector(targetModules));
        m.put("task_type", new JsonPrimitive(taskType));
        JsonObject o = new JsonObject();
        m.forEach(o::add);
        return o;
    }

    private static JsonElement selector(ModuleSelector s) {
        return s == null ? JsonNull.INSTANCE : s.toJson();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ia3Config c && toJson().equals(c.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return "Ia3Config" + toJson();
    }

    /** Builds an {@link Ia3Config}; {@link #build()} checks what PEFT's {@code __post_init__} checks. */
    public static final class Builder {
        private ModuleSelector targetModules;
        private ModuleSelector excludeModules;
        private ModuleSelector feedforwardModules;
        private boolean fanInFanOut;
        private boolean initIa3Weights = true;
        private String taskType = "CAUSAL_LM";
        private String baseModelNameOrPath;
        private JsonElement revision = JsonNull.INSTANCE;
        private JsonElement autoMapping = JsonNull.INSTANCE;

        private Builder() {}

        public Builder setTargetModules(ModuleSelector targets) {
            this.targetModules = targets;
            return this;
        }

        /** Module names matched exactly or as a '.'-suffix. */
        public Builder setTargetModules(List<String> names) {
            return setTargetModules(names == null ? null : ModuleSelector.names(names));
        }

        /** A regex matched against the whole module path, or {@code "all-linear"}. */
        public Builder setTargetModules(String regex) {
            return setTargetModules(regex == null ? null : ModuleSelector.regex(regex));
        }

        public Builder setExcludeModules(ModuleSelector exclude) {
            this.excludeModules = exclude;
            return this;
        }

        public Builder setFeedforwardModules(ModuleSelector feedforward) {
            this.feedforwardModules = feedforward;
            return this;
        }

        public Builder setFeedforwardModules(List<String> names) {
            return setFeedforwardModules(names == null ? null : ModuleSelector.names(names));
        }

        public Builder setFanInFanOut(boolean fanInFanOut) {
            this.fanInFanOut = fanInFanOut;
            return this;
        }

        public Builder setInitIa3Weights(boolean init) {
            this.initIa3Weights = init;
            return this;
        }

        public Builder setTaskType(String taskType) {
            java.util.Objects.requireNonNull(taskType, "taskType");
            if (!"CAUSAL_LM".equals(taskType)) {
                LOG.warn("task_type {} is kept as written, but peft4j runs every model as CAUSAL_LM", taskType);
            }
            this.taskType = taskType;
            return this;
        }

        public Builder setBaseModelNameOrPath(String name) {
            this.baseModelNameOrPath = name;
            return this;
        }

        public Ia3Config build() {
            if (feedforwardModules != null && !feedforwardModules.isRegex() && targetModules != null && !targetModules.isRegex()
                    && !targetModules.nameList().containsAll(feedforwardModules.nameList())) {
                throw new Peft4jException("feedforward_modules " + feedforwardModules + " should be a subset of target_modules "
                        + targetModules + " (as PEFT requires)");
            }
            return new Ia3Config(this);
        }
    }
}
