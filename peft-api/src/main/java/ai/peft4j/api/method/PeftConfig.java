package ai.peft4j.api.method;

import com.google.gson.JsonObject;

/**
 * A PEFT method's configuration, convertible to and from {@code adapter_config.json} with
 * Hugging Face PEFT's key names.
 *
 * <pre>{@code
 * PeftConfig cfg = PeftMethods.forType("LORA").parseConfig(json, "adapter_config.json");
 * String text = cfg.toJson().toString();
 * }</pre>
 */
public interface PeftConfig {

    /** PEFT's {@code peft_type} ({@code LORA}, {@code PROMPT_TUNING}, ...). */
    String peftType();

    /** The complete {@code adapter_config.json} object, as PEFT would write it. */
    JsonObject toJson();
}
