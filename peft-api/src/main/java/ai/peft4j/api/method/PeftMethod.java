package ai.peft4j.api.method;

import com.google.gson.JsonObject;

/**
 * A PEFT method plugin (LoRA, prompt tuning, ...), found with {@link java.util.ServiceLoader}
 * through {@code META-INF/services/ai.peft4j.api.method.PeftMethod}. Adding a method is adding a
 * jar; see {@link PeftMethods}.
 *
 * <pre>{@code
 * PeftMethod lora = PeftMethods.byName("lora");
 * PeftConfig cfg = lora.parseConfig(JsonParser.parseString("{\"r\": 8}").getAsJsonObject(), "cli");
 * Adapter adapter = lora.create("default", cfg, context);
 * }</pre>
 */
public interface PeftMethod {

    /** PEFT's {@code peft_type}, upper case ({@code LORA}). */
    String peftType();

    /** The short name used on the command line ({@code lora}, {@code prompt-tuning}). */
    String name();

    /**
     * Reads a config from PEFT's JSON; missing keys take PEFT's defaults and unknown keys are
     * ignored with a warning. Invalid values fail with a message naming {@code source}.
     */
    PeftConfig parseConfig(JsonObject json, String source);

    /**
     * Creates a freshly initialised adapter and registers its parameters (trainable) in
     * {@code context.store()}. Fails early, registering nothing, if the config does not fit the
     * base model.
     */
    Adapter create(String adapterName, PeftConfig config, AdapterContext context);
}
