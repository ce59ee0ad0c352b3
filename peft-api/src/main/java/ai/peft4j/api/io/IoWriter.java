package ai.peft4j.api.io;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes a file's content to a stream, for {@link AtomicFiles#write}.
 *
 * <pre>{@code
 * AtomicFiles.write(path, out -> out.write(bytes));
 * }</pre>
 */
@FunctionalInterface
public interface IoWriter {
    /** Writes the whole content; need not close {@code out}. */
    void write(OutputStream out) throws IOException;
}
