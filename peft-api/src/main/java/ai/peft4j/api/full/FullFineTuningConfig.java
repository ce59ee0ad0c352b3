package ai.peft4j.api.full;

import ai.peft4j.api.method.PeftConfig;
import com.google.gson.JsonObject;

/**
 * The (empty) configuration of full fine-tuning: every base weight trains.
 *
 * <pre>{@code
 * model.addAdapter("full", new FullFineTuningConfig());
 * }</pre>
 */
public record FullFineTuningConfig() implements PeftConfig {
    /** The peft_type used for full fine-tuning (not a Hugging Face PEFT type). */
    public static final String PEFT_TYPE = "FULL";

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    @Override
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("peft_type", PEFT_TYPE);
        o.addProperty("task_type", "CAUSAL_LM");
        return o;
    }
}
