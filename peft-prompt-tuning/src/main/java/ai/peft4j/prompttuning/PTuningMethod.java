package ai.peft4j.prompttuning;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.method.AdapterContext;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethod;
import com.google.gson.JsonObject;

/**
 * The P-tuning plugin ({@code P_TUNING}, {@code p-tuning}) for adapters trained with PEFT. PEFT
 * saves the MLP/LSTM prompt encoder's output as {@code prompt_embeddings [n, hidden]} and, in
 * inference mode, prepends it exactly as prompt tuning does; so a saved P-tuning adapter loads,
 * runs on every engine and saves back unchanged. (Training it further here tunes those embeddings
 * directly.) Creating a new P-tuning adapter, which needs the prompt encoder, is refused.
 *
 * <pre>{@code
 * model.loadAdapter(Path.of("my-ptuning-adapter"), "pt"); // adapter_config.json says P_TUNING
 * }</pre>
 */
public final class PTuningMethod implements PeftMethod {

    @Override
    public String peftType() {
        return PTuningConfig.PEFT_TYPE;
    }

    @Override
    public String name() {
        return "p-tuning";
    }

    @Override
    public PTuningConfig parseConfig(JsonObject json, String source) {
        return PTuningConfig.fromJson(json, source);
    }

    @Override
    public Adapter create(String adapterName, PeftConfig config, AdapterContext context) {
        if (!(config instanceof PTuningConfig cfg)) {
            throw new Peft4jException("P-tuning needs a PTuningConfig, got " + config.getClass().getName()
                    + " (peft_type " + config.peftType() + ")");
        }
        if (!cfg.inferenceMode()) {
            throw new Peft4jException("training a new P-tuning adapter (its " + cfg.encoderType()
                    + " prompt encoder) is not supported; peft4j loads P-tuning adapters saved by PEFT "
                    + "(inference_mode true). Use prompt tuning (PROMPT_TUNING) to train a soft prompt here");
        }
        PTuningConfig resolved = cfg.filledFrom(context);
        // PEFT's inference-mode encoder is a plain embedding (N(0, 1)); the saved output replaces it.
        var prompt = PromptTuningMethod.initialPrompt(
                PromptTuningConfig.builder().numVirtualTokens(cfg.numVirtualTokens()).build(), context);
        String key = AdapterContext.storeKey(adapterName, SoftPromptAdapter.STATE_KEY);
        context.store().put(key, prompt, true);
        return new PTuningAdapter(adapterName, resolved, key, context.config().hiddenSize());
    }
}
