package ai.peft4j.api.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Fills a fresh, empty directory, for {@link AtomicFiles#replaceDirectory}.
 *
 * <pre>{@code
 * AtomicFiles.replaceDirectory(adapterDir, dir -> {
 *   Files.writeString(dir.resolve("adapter_config.json"), json);
 *   SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), weights, Map.of("format", "pt"));
 * });
 * }</pre>
 */
@FunctionalInterface
public interface IoDirWriter {
    /** Writes every file of the new directory into {@code dir}. */
    void write(Path dir) throws IOException;
}
