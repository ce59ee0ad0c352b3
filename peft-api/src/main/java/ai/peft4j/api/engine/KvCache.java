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

    /**
     * The number of rows cached, or -1 while empty (or when the implementation does not say), so
     * {@link ForwardRequest#validate} can refuse a request of another batch size.
     */
    default int batch() {
        return -1;
    }

    /** Keeps only the given batch rows, in the given order (beam search reordering). */
    void reorder(int[] rows);

    @Override
    void close();
}
