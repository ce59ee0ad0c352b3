package ai.peft4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.io.SafetensorsFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The harness of the crash-safety tests: runs a {@code main} class in a child JVM on this test's
 * class path, waits for a moment worth hitting (a file appearing, a line in the child's log) and
 * kills the child with SIGKILL, so no shutdown hook or {@code finally} block runs. What the child
 * left behind is then the test's to check.
 *
 * <pre>{@code
 * KillHarness h = new KillHarness(tmp);
 * Process p = h.start("kill0", "512m", Saver.class.getName(), List.of(modelDir.toString(), out.toString()));
 * KillHarness.waitFor(p, () -> Files.exists(out.resolve("adapter_config.json")), "a first save", false);
 * h.kill(p, "kill0");
 * }</pre>
 */
public final class KillHarness {
    /** How long a child may take to reach the moment a test waits for. */
    private static final long WAIT_SECONDS = 60;

    private final Path logDir;

    /** A harness writing each child's output to {@code <name>.log} in {@code logDir}. */
    public KillHarness(Path logDir) {
        this.logDir = logDir;
    }

    /** A state of the files the child writes, polled while it runs. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws IOException;
    }

    /**
     * Starts {@code mainClass} with {@code args} in a child JVM (offline DJL, heap {@code maxHeap},
     * this JVM's class path); stdout and stderr go to {@code <name>.log}.
     */
    public Process start(String name, String maxHeap, String mainClass, List<String> args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Dai.djl.offline=true", "-Xmx" + maxHeap, "-cp",
                System.getProperty("java.class.path"), mainClass));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logDir.resolve(name + ".log").toFile()).start();
    }

    /** The child's output so far, or a note that there is none. */
    public String log(String name) {
        try {
            return Files.readString(logDir.resolve(name + ".log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /**
     * Polls until {@code c} holds; fails if the child ends first or after a minute.
     *
     * @param spin poll without pausing, for moments that last only a few milliseconds; otherwise
     *     sleep a millisecond between polls
     */
    public static void waitFor(Process p, Condition c, String what, boolean spin) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!c.holds()) {
            if (!p.isAlive()) {
                throw new AssertionError("the child ended (exit " + p.exitValue() + ") before " + what);
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new AssertionError("timed out waiting for " + what);
            }
            if (spin) {
                Thread.onSpinWait();
            } else {
                Thread.sleep(1);
            }
        }
    }

    /** Kills the child with SIGKILL (on Linux) and checks that it was killed rather than finished. */
    public void kill(Process p, String name) throws InterruptedException {
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the killed child exits").isTrue();
        assertThat(p.exitValue()).as("killed, not finished: " + log(name)).isNotZero();
    }

    /** Every tensor of a safetensors file, by name, as float32 values. */
    public static Map<String, float[]> tensors(Path file) {
        Map<String, float[]> m = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String k : f.tensors().keySet()) {
                m.put(k, f.readHost(k).data());
            }
        }
        return m;
    }
}
