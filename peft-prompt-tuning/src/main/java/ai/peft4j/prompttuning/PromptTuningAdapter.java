package ai.peft4j.prompttuning;

/**
 * A prompt-tuning adapter: a soft prompt of {@code num_virtual_tokens} trainable embeddings,
 * saved as {@code prompt_embeddings [num_virtual_tokens, hidden]} (fp32).
 *
 * <pre>{@code
 * PromptTuningAdapter a = (PromptTuningAdapter) model.addAdapter("default", config);
 * HostTensor prompt = model.runtime().parameters().get(a.promptKey());
 * }</pre>
 */
public final class PromptTuningAdapter extends SoftPromptAdapter {
    private final PromptTuningConfig config;

    PromptTuningAdapter(String name, PromptTuningConfig config, String promptKey, int hidden) {
        super(name, promptKey, config.numVirtualTokens(), hidden);
        this.config = config;
    }

    /** The config with the fields PEFT fills from the base model filled in. */
    @Override
    public PromptTuningConfig config() {
        return config;
    }
}
