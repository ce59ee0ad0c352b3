package ai.peft4j.api.config;

import java.util.List;

/**
 * The keys every PEFT method's {@code adapter_config.json} has (PEFT's {@code PeftConfigMixin} and
 * {@code PeftConfig}), declared once: each config record embeds this as its {@code common}
 * component, and {@link PeftSchema} reads and writes its keys in the same JSON object.
 * {@code peft_type} is the schema's; {@code modules_to_save}, which every method declares but peft4j
 * does not implement, is refused unless off.
 *
 * <pre>{@code
 * LoraConfig cfg = LoraConfig.parse(json, "adapter_config.json");
 * String base = cfg.common().baseModelNameOrPath(); // or cfg.baseModelNameOrPath()
 * }</pre>
 *
 * @param taskType PEFT's {@code task_type} (default {@code CAUSAL_LM}, the only task peft4j runs)
 * @param baseModelNameOrPath the base model PEFT records, or null
 * @param revision the base model's revision, or null
 * @param inferenceMode PEFT's {@code inference_mode}; saved configs always say true (PEFT's
 *     {@code save_pretrained} writes it so), a new adapter is made with false
 * @param peftVersion the PEFT version that wrote the file, or null; kept as provenance, while the
 *     file written says {@link #PEFT_VERSION}, whose layout it has
 * @param autoMapping PEFT's {@code auto_mapping}, kept verbatim
 * @param ignoredKeys the keys the read ignored because the config does not know them (not written)
 *
 * <p>Equality leaves out what the file written does not keep: {@code inference_mode} and
 * {@code peft_version} (always written as {@code true} and {@link #PEFT_VERSION}) and
 * {@code ignoredKeys}. So two configs are equal when they write the same {@code adapter_config.json},
 * and a config read back from the file it wrote equals it.
 */
@Key.Unsupported(key = "modules_to_save", feature = "modules_to_save (full copies of base modules)")
public record PeftCommon(
        @Key(value = "task_type", def = "\"" + PeftCommon.CAUSAL_LM + "\"") String taskType,
        @Key("base_model_name_or_path") String baseModelNameOrPath,
        @Key("revision") String revision,
        @Key(value = "inference_mode", def = "false", written = "true") boolean inferenceMode,
        @Key(value = "peft_version", written = "\"" + PeftCommon.PEFT_VERSION + "\"") String peftVersion,
        @Key("auto_mapping") JsonValue autoMapping,
        @Key.Ignored List<String> ignoredKeys) {

    /** The PEFT release whose {@code adapter_config.json} layout peft4j writes. */
    public static final String PEFT_VERSION = "0.21.0";
    /** The only {@code task_type} peft4j's decoder-only models run. */
    public static final String CAUSAL_LM = "CAUSAL_LM";

    /** Null values take the defaults. */
    public PeftCommon {
        taskType = taskType == null ? CAUSAL_LM : taskType;
        ignoredKeys = ignoredKeys == null ? List.of() : List.copyOf(ignoredKeys);
    }

    @Override
    public boolean equals(Object o) {
        return PeftSchema.keysEqual(this, o);
    }

    @Override
    public int hashCode() {
        return PeftSchema.keysHash(this);
    }
}
