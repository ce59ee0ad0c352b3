package ai.peft4j.examples.summarization;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The embedded Korean base model, {@code examples/demo/ko-base} in the repository. The root comes
 * from the {@code peft4j.home} system property, which the build sets, or is found by walking up
 * from the working directory (a module directory when Maven runs the tests).
 *
 * <pre>{@code
 * PeftModel model = PeftModel.open(EmbeddedModel.dir(), Engines.byName("pytorch"), EngineOptions.defaults());
 * }</pre>
 */
public final class EmbeddedModel {
    /** Where the embedded model lives, relative to the repository root (as the CLI's {@code DemoCommand.EMBEDDED_MODEL}). */
    public static final String RELATIVE = "examples/demo/ko-base";

    private EmbeddedModel() {}

    /** The model directory, absolute. */
    public static Path dir() {
        String home = System.getProperty("peft4j.home");
        if (home != null && Files.isDirectory(Path.of(home, RELATIVE))) {
            return Path.of(home, RELATIVE).toAbsolutePath();
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve(RELATIVE))) {
                return d.resolve(RELATIVE);
            }
        }
        throw new IllegalStateException(RELATIVE + " not found: set -Dpeft4j.home to the repository root");
    }
}
