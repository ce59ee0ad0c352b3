package ai.peft4j.api.generate;

/**
 * Receives generated tokens step by step, as Hugging Face's {@code BaseStreamer.put}: print text
 * as it is produced, or time the first token.
 *
 * <pre>{@code
 * long[] first = {0};
 * long t0 = System.nanoTime();
 * new Generator(runtime, hooks).generate(ids, null, config, tokens -> {
 *     if (first[0] == 0) first[0] = System.nanoTime() - t0;   // time to first token
 * });
 * }</pre>
 */
@FunctionalInterface
public interface TokenStreamer {
    /** The tokens chosen at one step, one per row of the batch. */
    void put(int[] tokens);
}
