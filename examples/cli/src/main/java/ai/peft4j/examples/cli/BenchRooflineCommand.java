package ai.peft4j.examples.cli;

import ai.peft4j.examples.bench.TrainBench;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j bench roofline}: the fp32 matmul GFLOP/s that DJL's libtorch reaches on this
 * machine for the preset's GEMM shapes (M = batch x seq tokens), one line per shape and the
 * FLOP-weighted aggregate: the ceiling {@code bench train} compares itself with.
 *
 * <pre>{@code
 * peft4j bench roofline --preset gpt2-small --batch 4 --seq 256 --threads 2
 * }</pre>
 */
@Command(name = "roofline", mixinStandardHelpOptions = true, description = "fp32 matmul peak (GFLOP/s) for the preset's GEMM shapes.")
public final class BenchRooflineCommand implements Callable<Integer> {
    @Mixin
    BenchOptions shape = new BenchOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("load average before: " + BenchOptions.loadAverage());
        TrainBench.roofline(shape.toMap(), true, out);
        out.println("load average after: " + BenchOptions.loadAverage());
        return 0;
    }
}
