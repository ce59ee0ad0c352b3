package ai.peft4j.api.config;

import ai.peft4j.api.method.PeftConfig;
import com.google.gson.JsonObject;
import java.util.List;

/**
 * A {@link PeftConfig} bound by a {@link PeftSchema}: a record with a {@link PeftCommon}
 * {@code common} component, whose common keys are read here. {@link #peftType()} and
 * {@link #toJson()} come from the record's schema; equality is the record's: every key the file
 * keeps (see {@link PeftCommon}).
 *
 * <pre>{@code
 * PeftAdapterConfig cfg = (PeftAdapterConfig) PeftMethods.forType("LORA").parseConfig(json, "adapter_config.json");
 * if (!cfg.ignoredKeys().isEmpty()) { ... }
 * }</pre>
 */
public interface PeftAdapterConfig extends PeftConfig {

    /** PEFT's common keys. */
    PeftCommon common();

    /** The schema's {@code peft_type}. */
    @Override
    default String peftType() {
        return PeftSchema.of(getClass()).peftType();
    }

    /** The complete {@code adapter_config.json} PEFT writes for this config: every key, sorted, as PEFT. */
    @Override
    default JsonObject toJson() {
        return PeftSchema.of(getClass()).write(this);
    }

    /** PEFT's {@code task_type}. */
    default String taskType() {
        return common().taskType();
    }

    /** PEFT's {@code base_model_name_or_path}, or null. */
    default String baseModelNameOrPath() {
        return common().baseModelNameOrPath();
    }

    /** PEFT's {@code revision}, or null. */
    default String revision() {
        return common().revision();
    }

    /**
     * PEFT's {@code inference_mode}: true for an adapter about to be loaded from saved weights, so
     * a new one is not initialised from text or the vocabulary. Saved configs always say true.
     */
    default boolean inferenceMode() {
        return common().inferenceMode();
    }

    /** The {@code peft_version} read, or null. */
    default String peftVersion() {
        return common().peftVersion();
    }

    /** The keys the read ignored because PEFT's config class for this method does not have them. */
    default List<String> ignoredKeys() {
        return common().ignoredKeys();
    }
}
