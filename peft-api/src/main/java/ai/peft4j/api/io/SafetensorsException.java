package ai.peft4j.api.io;

import ai.peft4j.api.Peft4jException;

/**
 * A safetensors file could not be read or written. The message names the file and, where one
 * is involved, the tensor, so it can be printed as a single line.
 *
 * <pre>{@code
 * try (SafetensorsFile f = SafetensorsFile.open(path)) {
 *   ...
 * } catch (SafetensorsException e) {
 *   System.err.println(e.getMessage()); // "model.safetensors: tensor 'wte': ..."
 * }
 * }</pre>
 */
public class SafetensorsException extends Peft4jException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
