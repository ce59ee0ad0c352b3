package ai.peft4j.api.data;

/**
 * What {@link CausalLmEncoder} does with an example longer than the maximum length. Never silent:
 * every truncated or skipped example is counted and logged.
 *
 * <pre>{@code
 * CausalLmEncoder.builder(tok).maxLength(512).truncation(Truncation.ERROR).build();
 * }</pre>
 */
public enum Truncation {
    /**
     * Cut the prompt from the left (its start), keeping the end of the prompt, which usually holds
     * the instruction ({@code 한줄 요약:}), and the whole completion; a warning is logged. An example
     * whose completion + EOS alone leaves no room for one prompt token is skipped with a warning.
     */
    TRUNCATE_PROMPT_LEFT,
    /** Fail on the first example that does not fit, naming it. */
    ERROR
}
