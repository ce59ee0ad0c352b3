package ai.peft4j.examples.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j bench}: benchmarks, one subcommand each. Add a benchmark (train, roofline, ...)
 * by listing its command class in {@code subcommands} below.
 *
 * <pre>{@code
 * peft4j bench generate --engine both --preset gpt2-small --threads 2 --repeats 5
 * peft4j bench train --preset gpt2-small --method lora --batch 4 --seq 256
 * peft4j bench roofline --preset gpt2-small --threads 2
 * peft4j bench memory --preset tiny --steps 2000 --probe 200
 * }</pre>
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (heavy: run them on a quiet machine).",
        subcommands = {
            BenchGenerateCommand.class,
            BenchTrainCommand.class,
            BenchRooflineCommand.class,
            BenchMemoryCommand.class,
        })
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Peft4jCli.EXIT_BAD_INPUT;
    }
}
