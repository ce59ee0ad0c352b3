package ai.peft4j.examples.cli;

import ai.peft4j.examples.bench.TrainBench;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j bench memory}: the native-memory soak. Trains a preset for {@code --steps} steps
 * and prints the process RSS after {@code --probe} steps and at the end: a leak of native memory
 * per step shows as growth (it must stay flat).
 *
 * <pre>{@code
 * peft4j bench memory --preset tiny --method full --steps 2000 --probe 200
 * }</pre>
 */
@Command(name = "memory", mixinStandardHelpOptions = true, description = "RSS after --probe and after --steps training steps (must stay flat).")
public final class BenchMemoryCommand implements Callable<Integer> {
    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "tiny", description = "Random-weight model shape (default tiny), as bench train.")
    String preset;

    @Option(names = "--method", paramLabel = "NAME", defaultValue = "full", description = "Installed method or full (default full).")
    String method;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "2", description = "Sequences per step (default 2).")
    int batch;

    @Option(names = "--seq", paramLabel = "N", defaultValue = "32", description = "Tokens per sequence (default 32).")
    int seq;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "2000", description = "Steps in all (default 2000).")
    int steps;

    @Option(names = "--probe", paramLabel = "N", defaultValue = "200", description = "The step of the first reading (default 200).")
    int probe;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Intra-op threads (default 2).")
    int threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || probe < 1 || probe > steps) {
            throw new ai.peft4j.api.Peft4jException("need 1 <= --probe <= --steps");
        }
        PrintWriter out = spec.commandLine().getOut();
        TrainBench.memory(Map.of("preset", preset, "method", method, "batch", Integer.toString(batch), "seq", Integer.toString(seq),
                "steps", Integer.toString(steps), "probe", Integer.toString(probe), "threads", Integer.toString(threads)), out);
        return 0;
    }
}
