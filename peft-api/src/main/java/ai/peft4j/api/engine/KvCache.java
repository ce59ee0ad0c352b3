package ai.peft4j.api.engine;

/**
 * An engine's key/value cache for incremental decoding. The generator owns it and closes it.
 *
 * <pre>{@code
 * try (KvCache cache = runtime.newCache()) {
 *   Logits first = runtime.forward(prompt, cache);
 *   Logits next = runtime.forward(step, cache);
 * }
 * }</pre>
 */
public interface KvCache extends AutoCloseable {

    /** The number of cached positions (including any soft-prompt positions). */
    int length();

    /** Keeps only the given batch rows, in the given order (beam search reordering). */
    void reorder(int[] rows);

    @Override
    void close();
}
