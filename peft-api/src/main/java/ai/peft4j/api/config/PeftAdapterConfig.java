package ai.peft4j.api.config;

import ai.peft4j.api.method.PeftConfig;
import java.util.List;

/**
 * A {@link PeftConfig} bound by a {@link PeftSchema}: a record with a {@link PeftCommon}
 * {@code common} component, whose common keys are read here.
 *
 * <pre>{@code
 * PeftAdapterConfig cfg = (PeftAdapterConfig) PeftMethods.forType("LORA").parseConfig(json, "adapter_config.json");
 * if (!cfg.ignoredKeys().isEmpty()) { ... }
 * }</pre>
 */
public interface PeftAdapterConfig extends PeftConfig {

    /** PEFT's common keys. */
    PeftCommon common();

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
