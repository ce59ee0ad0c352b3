package ai.peft4j.prompttuning;

/**
 * A P-tuning adapter saved by PEFT: its {@code prompt_embeddings} are the prompt encoder's output,
 * which PEFT itself uses directly in inference mode, so it runs as a fixed soft prompt.
 */
public final class PTuningAdapter extends SoftPromptAdapter {
    private final PTuningConfig config;

    PTuningAdapter(String name, PTuningConfig config, String promptKey, int hidden) {
        super(name, promptKey, config.numVirtualTokens(), hidden);
        this.config = config;
    }

    @Override
    public PTuningConfig config() {
        return config;
    }
}
