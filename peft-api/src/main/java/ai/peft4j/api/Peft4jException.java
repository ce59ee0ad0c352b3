package ai.peft4j.api;

/**
 * The one unchecked exception type peft4j throws for bad input or unusable state.
 *
 * <p>Messages name the offending file, tensor or setting so that the command line can print
 * them as a single line. Example:
 *
 * <pre>{@code
 * try {
 *   Checkpoint.open(dir);
 * } catch (Peft4jException e) {
 *   System.err.println("error: " + e.getMessage());
 * }
 * }</pre>
 */
public class Peft4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Peft4jException(String message) {
        super(message);
    }

    public Peft4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
