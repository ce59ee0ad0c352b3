package ai.peft4j.lora;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.config.JsonCodec;
import ai.peft4j.api.config.JsonCodecs;
import ai.peft4j.api.config.JsonValue;
import ai.peft4j.api.config.Key;
import ai.peft4j.api.config.OneOrList;
import ai.peft4j.api.config.PeftAdapterConfig;
import ai.peft4j.api.config.PeftCommon;
import ai.peft4j.api.config.PeftConfigBuilder;
import ai.peft4j.api.config.PeftSchema;
import ai.peft4j.api.method.ModuleSelector;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A LoRA configuration with Hugging Face PEFT's {@code LoraConfig} keys, defaults and checks, read
 * from and written to {@code adapter_config.json} by {@link PeftSchema}: each component below is one
 * key, declared once by its {@link Key}. Immutable; change it with {@link #toBuilder()}.
 *
 * <p>{@code target_modules} and {@code exclude_modules} are either a regex string (full match
 * against the module path; {@code "all-linear"} for every linear layer except the output head)
 * or a list of names (a module matches an exact path or a {@code .}-separated suffix); absent
 * targets take the architecture's PEFT default. Keys PEFT knows but peft4j does not implement
 * (DoRA, {@code lora_bias}, {@code modules_to_save}, ...) are accepted only when off; unknown keys
 * are ignored with a warning, as PEFT does.
 *
 * <pre>{@code
 * LoraConfig cfg = LoraConfig.builder().r(8).loraAlpha(16).targetModules(List.of("q_proj", "v_proj")).build();
 * LoraConfig loaded = LoraConfig.parse(AdapterFiles.readConfig(dir), "adapter_config.json");
 * }</pre>
 *
 * @param common PEFT's common keys ({@code task_type}, {@code base_model_name_or_path}, ...)
 * @param r the rank (default 8)
 * @param loraAlpha {@code lora_alpha} (default 8), written as an int when integral, as Python does
 * @param loraDropout {@code lora_dropout}, applied to the LoRA input only (default 0)
 * @param targetModules {@code target_modules}, or null for the architecture's default
 * @param excludeModules {@code exclude_modules}, or null
 * @param fanInFanOut true when the targeted weights are stored {@code [in, out]} (GPT-2 Conv1D)
 * @param bias only {@code "none"} is implemented
 * @param useRslora scale by alpha/√r instead of alpha/r
 * @param initLoraWeights how A and B start
 * @param layersToTransform {@code layers_to_transform}, or null for every layer
 * @param layersPattern {@code layers_pattern}, or null
 * @param rankPattern module regex to rank, tried in file order
 * @param alphaPattern module regex to alpha, tried in file order
 * @param cordaConfig kept verbatim, as the next seven: PEFT 0.21 keys of features peft4j does not use, written back as read
 * @param ensureWeightTying kept verbatim
 * @param evaConfig kept verbatim
 * @param loftqConfig kept verbatim
 * @param loraGaConfig kept verbatim
 * @param megatronConfig kept verbatim
 * @param megatronCore kept verbatim
 * @param qaloraGroupSize kept verbatim
 */
@Key.Unsupported(key = "alora_invocation_tokens", feature = "aLoRA")
@Key.Unsupported(key = "arrow_config", feature = "Arrow routing")
@Key.Unsupported(key = "kasa_config", feature = "KaSA")
@Key.Unsupported(key = "layer_replication", feature = "layer replication")
@Key.Unsupported(key = "lora_bias", feature = "a bias on lora_B", written = "false")
@Key.Unsupported(key = "monteclora_config", feature = "MonteCLoRA")
@Key.Unsupported(key = "target_parameters", feature = "targeting nn.Parameters")
@Key.Unsupported(key = "trainable_token_indices", feature = "trainable tokens")
@Key.Unsupported(key = "use_bdlora", feature = "BD-LoRA")
@Key.Unsupported(key = "use_dora", feature = "DoRA", written = "false")
@Key.Unsupported(key = "use_qalora", feature = "QA-LoRA", written = "false")
@Key.Unsupported(key = "velora_config", feature = "VeLoRA")
public record LoraConfig(
        PeftCommon common,
        @Key(value = "r", def = "8") int r,
        @Key(value = "lora_alpha", def = "8", codec = JsonCodecs.PythonNumber.class) double loraAlpha,
        @Key(value = "lora_dropout", def = "0.0") double loraDropout,
        @Key("target_modules") ModuleSelector targetModules,
        @Key("exclude_modules") ModuleSelector excludeModules,
        @Key(value = "fan_in_fan_out", def = "false") boolean fanInFanOut,
        @Key(value = "bias", def = "\"none\"") String bias,
        @Key(value = "use_rslora", def = "false") boolean useRslora,
        @Key(value = "init_lora_weights", def = "true", codec = InitLoraWeights.Codec.class) InitLoraWeights initLoraWeights,
        @Key("layers_to_transform") OneOrList<Integer> layersToTransform,
        @Key(value = "layers_pattern", codec = LayersPatternCodec.class) OneOrList<String> layersPattern,
        @Key(value = "rank_pattern", def = "{}") Map<String, Integer> rankPattern,
        @Key(value = "alpha_pattern", def = "{}", codec = JsonCodecs.PythonNumberMap.class) Map<String, Double> alphaPattern,
        @Key("corda_config") JsonValue cordaConfig,
        @Key(value = "ensure_weight_tying", def = "false") JsonValue ensureWeightTying,
        @Key("eva_config") JsonValue evaConfig,
        @Key(value = "loftq_config", def = "{}") JsonValue loftqConfig,
        @Key("lora_ga_config") JsonValue loraGaConfig,
        @Key("megatron_config") JsonValue megatronConfig,
        @Key(value = "megatron_core", def = "\"megatron.core\"") JsonValue megatronCore,
        @Key(value = "qalora_group_size", def = "16") JsonValue qaloraGroupSize) implements PeftAdapterConfig {

    /** PEFT's {@code peft_type} for LoRA. */
    public static final String PEFT_TYPE = "LORA";
    /** The {@code target_modules} shorthand for every linear layer except the output head. */
    public static final String ALL_LINEAR = ModuleSelector.ALL_LINEAR;
    /** The PEFT release whose {@code adapter_config.json} layout this class writes. */
    public static final String PEFT_VERSION = PeftCommon.PEFT_VERSION;

    private static final PeftSchema<LoraConfig> SCHEMA = new PeftSchema<>(LoraConfig.class, PEFT_TYPE, "LoraConfig",
            "supported: plain LoRA, rsLoRA, rank/alpha patterns");

    /** How A and B start ({@code init_lora_weights}). */
    public enum InitLoraWeights {
        /** {@code true}: A kaiming-uniform(a=√5), that is U(±1/√in); B = 0. The adapter starts as a no-op. */
        DEFAULT,
        /** {@code false}: A and B both as torch's nn.Linear default, U(±1/√fan_in); the adapter changes the output. */
        RANDOM,
        /** {@code "gaussian"}: A ~ N(0, (1/r)²) (std 1/r, as PEFT); B = 0. */
        GAUSSIAN;

        /** PEFT's values: {@code true}, {@code false} or {@code "gaussian"}; data-driven inits are refused. */
        static final class Codec implements JsonCodec<InitLoraWeights> {
            @Override
            public InitLoraWeights read(JsonElement e, String key) {
                if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()) {
                    return e.getAsBoolean() ? DEFAULT : RANDOM;
                }
                if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()
                        && e.getAsString().toLowerCase(Locale.ROOT).equals("gaussian")) {
                    return GAUSSIAN;
                }
                throw new Peft4jException(key + " " + e + " is not implemented in peft4j (supported: true, false, \"gaussian\"); "
                        + "data-driven inits such as PiSSA, OLoRA, EVA or LoftQ are not available");
            }

            @Override
            public JsonElement write(InitLoraWeights v) {
                return v == GAUSSIAN ? new JsonPrimitive("gaussian") : new JsonPrimitive(v == DEFAULT);
            }
        }
    }

    /** {@code layers_pattern}: a string or a list of them; PEFT treats {@code ""} as "any layer list", that is, unset. */
    static final class LayersPatternCodec implements JsonCodec<OneOrList<String>> {
        private final JsonCodec<OneOrList<String>> inner = JsonCodecs.oneOrList(JsonCodecs.STRING);

        @Override
        public OneOrList<String> read(JsonElement e, String key) {
            OneOrList<String> v = inner.read(e, key);
            return v.isSingle() && v.get(0).isEmpty() ? null : v;
        }

        @Override
        public JsonElement write(OneOrList<String> v) {
            return inner.write(v);
        }
    }

    /** Validates as PEFT's {@code __post_init__} does. */
    public LoraConfig {
        Objects.requireNonNull(common, "common");
        Objects.requireNonNull(initLoraWeights, "initLoraWeights");
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

    /** A builder holding PEFT's defaults. */
    public static Builder builder() {
        return new Builder(null);
    }

    /** A builder holding this config's values, to derive a changed copy. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Reads PEFT's {@code adapter_config.json} object. Missing keys take PEFT's defaults; unknown
     * keys are logged and ignored; bad values fail with a message naming {@code source} and the key.
     */
    public static LoraConfig parse(JsonObject json, String source) {
        return SCHEMA.read(json, source);
    }

    /** Builds a {@link LoraConfig}; {@link #build()} validates as PEFT's {@code __post_init__} does. */
    public static final class Builder extends PeftConfigBuilder<LoraConfig, Builder> implements PeftConfigBuilder.Targets<Builder> {
        private Builder(LoraConfig from) {
            super(SCHEMA, from);
        }

        public Builder r(int r) {
            return set("r", r);
        }

        public Builder loraAlpha(double alpha) {
            return set("lora_alpha", alpha);
        }

        public Builder loraDropout(double p) {
            return set("lora_dropout", p);
        }

        public Builder fanInFanOut(boolean fanInFanOut) {
            return set("fan_in_fan_out", fanInFanOut);
        }

        public Builder bias(String bias) {
            return set("bias", bias);
        }

        public Builder useRslora(boolean useRslora) {
            return set("use_rslora", useRslora);
        }

        public Builder initLoraWeights(InitLoraWeights init) {
            return set("init_lora_weights", Objects.requireNonNull(init, "initLoraWeights"));
        }

        /** A list of layer indices (written as a list). */
        public Builder layersToTransform(List<Integer> layers) {
            return set("layers_to_transform", layers == null ? null : OneOrList.of(layers));
        }

        /** One layer index (written as a bare integer, as PEFT accepts). */
        public Builder layersToTransform(int layer) {
            return set("layers_to_transform", OneOrList.single(layer));
        }

        public Builder layersPattern(String pattern) {
            return set("layers_pattern", pattern == null ? null : OneOrList.single(pattern));
        }

        public Builder layersPattern(List<String> patterns) {
            return set("layers_pattern", patterns == null ? null : OneOrList.of(patterns));
        }

        /** Module regex to rank; keys are tried in insertion order, as PEFT does. */
        public Builder rankPattern(Map<String, Integer> pattern) {
            return set("rank_pattern", pattern);
        }

        public Builder alphaPattern(Map<String, ? extends Number> pattern) {
            Map<String, Double> m = new LinkedHashMap<>();
            pattern.forEach((k, v) -> m.put(k, v.doubleValue()));
            return set("alpha_pattern", m);
        }
    }
}
