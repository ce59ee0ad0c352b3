package ai.peft4j.examples.ia3;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.config.Key;
import ai.peft4j.api.config.PeftAdapterConfig;
import ai.peft4j.api.config.PeftCommon;
import ai.peft4j.api.config.PeftConfigBuilder;
import ai.peft4j.api.config.PeftSchema;
import ai.peft4j.api.method.ModuleSelector;
import com.google.gson.JsonObject;
import java.util.List;

/**
 * An (IA)³ configuration with Hugging Face PEFT's {@code IA3Config} keys and defaults, read from
 * and written to {@code adapter_config.json} by peft-api's {@link PeftSchema}: each component is
 * one key, declared once. Immutable; change it with {@link #toBuilder()}.
 *
 * <p>{@code target_modules} and {@code exclude_modules} follow PEFT's matching (see
 * {@link ModuleSelector}); absent targets and feed-forward modules take PEFT's per-architecture
 * defaults when the adapter is created. A targeted module that is a feed-forward module scales its
 * input; any other scales its output.
 *
 * <pre>{@code
 * Ia3Config cfg = Ia3Config.builder().targetModules(List.of("k_proj", "v_proj", "down_proj"))
 *     .feedforwardModules(List.of("down_proj")).build();
 * }</pre>
 *
 * @param common PEFT's common keys ({@code task_type}, {@code base_model_name_or_path}, ...)
 * @param targetModules {@code target_modules}, or null for the architecture's PEFT default
 * @param excludeModules {@code exclude_modules}, or null
 * @param feedforwardModules {@code feedforward_modules}, or null for the architecture's PEFT default
 * @param fanInFanOut true when the targeted weights are stored {@code [in, out]} (GPT-2 Conv1D)
 * @param initIa3Weights true starts every vector at ones (a no-op); false draws N(0, 1) as PEFT
 */
public record Ia3Config(
        PeftCommon common,
        @Key("target_modules") ModuleSelector targetModules,
        @Key("exclude_modules") ModuleSelector excludeModules,
        @Key("feedforward_modules") ModuleSelector feedforwardModules,
        @Key(value = "fan_in_fan_out", def = "false") boolean fanInFanOut,
        @Key(value = "init_ia3_weights", def = "true") boolean initIa3Weights) implements PeftAdapterConfig {

    /** PEFT's {@code peft_type} for (IA)³. */
    public static final String PEFT_TYPE = "IA3";
    /** The PEFT release whose {@code adapter_config.json} layout this class writes. */
    public static final String PEFT_VERSION = PeftCommon.PEFT_VERSION;

    private static final PeftSchema<Ia3Config> SCHEMA = new PeftSchema<>(Ia3Config.class, PEFT_TYPE, "IA3Config", "");

    /** Checks what PEFT's {@code __post_init__} checks. */
    public Ia3Config {
        if (feedforwardModules != null && !feedforwardModules.isRegex() && targetModules != null && !targetModules.isRegex()
                && !targetModules.nameList().containsAll(feedforwardModules.nameList())) {
            throw new Peft4jException("feedforward_modules " + feedforwardModules + " should be a subset of target_modules "
                    + targetModules + " (as PEFT requires)");
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

    /** Reads PEFT's {@code adapter_config.json}; missing keys take PEFT's defaults, unknown keys are ignored with a warning. */
    public static Ia3Config parse(JsonObject json, String source) {
        return SCHEMA.read(json, source);
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

    /** Builds an {@link Ia3Config}; {@link #build()} checks what PEFT's {@code __post_init__} checks. */
    public static final class Builder extends PeftConfigBuilder<Ia3Config, Builder> implements PeftConfigBuilder.Targets<Builder> {
        private Builder(Ia3Config from) {
            super(SCHEMA, from);
        }

        public Builder feedforwardModules(ModuleSelector feedforward) {
            return set("feedforward_modules", feedforward);
        }

        public Builder feedforwardModules(List<String> names) {
            return feedforwardModules(names == null ? null : ModuleSelector.names(names));
        }

        public Builder fanInFanOut(boolean fanInFanOut) {
            return set("fan_in_fan_out", fanInFanOut);
        }

        public Builder initIa3Weights(boolean init) {
            return set("init_ia3_weights", init);
        }
    }
}
