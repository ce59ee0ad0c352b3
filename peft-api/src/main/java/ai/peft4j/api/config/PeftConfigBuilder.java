package ai.peft4j.api.config;

import ai.peft4j.api.method.ModuleSelector;
import java.util.List;
import java.util.Map;

/**
 * The one builder of {@link PeftSchema}-bound configs. It holds a value per JSON key, starting from
 * the defaults or from an existing config; {@link #build()} runs the record's constructor, which
 * validates. A method's builder adds setters named after its record components ({@code r(8)},
 * {@code numVirtualTokens(20)}); {@link #set} sets any key by its JSON name, so a new key needs no
 * setter.
 *
 * <pre>{@code
 * public static final class Builder extends PeftConfigBuilder<MyConfig, Builder> {
 *     Builder(MyConfig from) { super(MyConfig.SCHEMA, from); }
 *     public Builder r(int r) { return set("r", r); }
 * }
 * MyConfig cfg = new Builder(null).r(16).baseModelNameOrPath("tiny").build();
 * }</pre>
 *
 * @param <R> the config record
 * @param <B> the concrete builder
 */
public abstract class PeftConfigBuilder<R extends Record & PeftAdapterConfig, B extends PeftConfigBuilder<R, B>> {
    private final PeftSchema<R> schema;
    private final Map<String, Object> values;

    /** A builder holding {@code from}'s values, or the defaults when {@code from} is null. */
    protected PeftConfigBuilder(PeftSchema<R> schema, R from) {
        this.schema = schema;
        this.values = from == null ? schema.defaults() : schema.values(from);
    }

    /**
     * Sets a key by its JSON name; null restores its default. Lists and maps are copied.
     *
     * @throws IllegalArgumentException for a key the config does not have or a value of another type
     */
    public B set(String key, Object value) {
        values.put(key, schema.check(key, value));
        return self();
    }

    /**
     * Sets every key of {@code part}, a record the config embeds ({@link PeftCommon}, or a method
     * family's shared keys), to its values.
     */
    public B with(Record part) {
        schema.values(part).forEach(this::set);
        return self();
    }

    /** PEFT's {@code task_type} (default {@code CAUSAL_LM}). */
    public B taskType(String taskType) {
        return set("task_type", taskType);
    }

    /** PEFT's {@code base_model_name_or_path}; filled from the base model when unset. */
    public B baseModelNameOrPath(String name) {
        return set("base_model_name_or_path", name);
    }

    /** PEFT's {@code revision} of the base model. */
    public B revision(String revision) {
        return set("revision", revision);
    }

    /** PEFT's {@code inference_mode}: true for an adapter about to be loaded from saved weights. */
    public B inferenceMode(boolean inferenceMode) {
        return set("inference_mode", inferenceMode);
    }

    /** The PEFT version recorded as provenance. */
    public B peftVersion(String version) {
        return set("peft_version", version);
    }

    /** The config; the record's constructor validates as PEFT's {@code __post_init__} does. */
    public R build() {
        return schema.construct(values, List.of());
    }

    /** This builder, typed. */
    @SuppressWarnings("unchecked")
    protected final B self() {
        return (B) this;
    }

    /**
     * The {@code target_modules} and {@code exclude_modules} setters of methods that hook linear
     * sites (PEFT's {@code BaseTuner} configs), for a builder that has those keys.
     *
     * <pre>{@code
     * LoraConfig.builder().targetModules(List.of("q_proj", "v_proj")).excludeModules(".*\\.1\\..*").build();
     * }</pre>
     *
     * @param <B> the concrete builder
     */
    public interface Targets<B> {
        /** {@link PeftConfigBuilder#set}. */
        B set(String key, Object value);

        /** {@code target_modules}, or null for the architecture's PEFT default. */
        default B targetModules(ModuleSelector selector) {
            return set("target_modules", selector);
        }

        /** A regex matched against the whole module path, or {@link ModuleSelector#ALL_LINEAR}. */
        default B targetModules(String regex) {
            return targetModules(regex == null ? null : ModuleSelector.regex(regex));
        }

        /** Module names matched exactly or as a '.'-suffix ({@code q_proj}, {@code self_attn.v_proj}). */
        default B targetModules(List<String> names) {
            return targetModules(names == null ? null : ModuleSelector.names(names));
        }

        /** {@code exclude_modules}, or null. */
        default B excludeModules(ModuleSelector selector) {
            return set("exclude_modules", selector);
        }

        /** A regex of modules to leave out. */
        default B excludeModules(String regex) {
            return excludeModules(regex == null ? null : ModuleSelector.regex(regex));
        }

        /** Module names to leave out. */
        default B excludeModules(List<String> names) {
            return excludeModules(names == null ? null : ModuleSelector.names(names));
        }
    }
}
