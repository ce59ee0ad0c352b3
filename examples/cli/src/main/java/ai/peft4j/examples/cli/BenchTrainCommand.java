package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.inject.Peft4jSettings;
import ai.peft4j.examples.bench.TrainBench;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j bench train}: training speed through the real trainer on random weights of a
 * preset shape (see {@link TrainBench}). Prints every step, then the median step time after
 * warm-up, tokens/s, peak RSS, achieved GFLOP/s and its share of the fp32 GEMM peak measured in
 * the same run ({@code bench roofline}), with the load average before and after.
 *
 * <pre>{@code
 * peft4j bench train --preset gpt2-small --method lora --batch 4 --seq 256
 * }</pre>
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Training speed: tokens/s, peak RSS and achieved FLOP/s against the measured fp32 matmul peak.")
public final class BenchTrainCommand implements Callable<Integer> {
    @Mixin
    BenchOptions shape = new BenchOptions();

    @Option(names = "--method", paramLabel = "NAME", defaultValue = "lora",
            description = "lora (default: r=8 on c_attn), prompt-tuning (20 virtual tokens), full, or any installed method.")
    String method;

    @Option(names = "--config", paramLabel = "JSON", description = "Method config as inline JSON (PEFT's keys) instead of the default.")
    String config;

    @Option(names = "--steps", paramLabel = "N", description = "Timed steps (default 6 for gpt2-small, 30 for tiny).")
    Integer steps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "2", description = "Untimed steps first (default 2).")
    int warmup;

    @Option(names = "--no-roofline", description = "Skip measuring the GEMM peak.")
    boolean noRoofline;

    @Option(names = "--dtype", paramLabel = "DTYPE", defaultValue = "auto",
            description = "Base weights at rest: auto (as stored; F16 for gptj-6b and polyglot-ko-1.3b), float32 or float16.")
    String dtype;

    @Option(names = "--quantize", paramLabel = "SCHEME", defaultValue = "none", description = "none, int8 or int4 frozen linear weights.")
    String quantize;

    @Option(names = "--quantize-block-size", paramLabel = "N", defaultValue = "32", description = "int4 block size (default 32).")
    int quantizeBlockSize;

    @Option(names = "--gradient-checkpointing", description = "Recompute each block in the backward pass.")
    boolean gradientCheckpointing;

    @Option(names = "--checkpoint-blocks", paramLabel = "N", description = "Recompute only the first N blocks (0: none).")
    Integer checkpointBlocks;

    @Option(names = "--json", description = "Print one JSON object on stdout (the progress goes to stderr).")
    boolean json;

    @Option(names = "--model-dir", paramLabel = "DIR",
            description = "Write the random model here and keep it (reused when it already holds the preset), e.g. to generate with it.")
    java.nio.file.Path modelDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Map<String, String> o = shape.toMap();
        if ((steps != null && steps < 1) || warmup < 0) {
            throw new Peft4jException("need --steps >= 1 and --warmup >= 0");
        }
        o.put("method", method.toLowerCase(Locale.ROOT));
        o.put("warmup", Integer.toString(warmup));
        if (steps != null) {
            o.put("steps", Integer.toString(steps));
        }
        if (config != null) {
            o.put("config", config);
        }
        if (noRoofline) {
            o.put("no-roofline", "true");
        }
        o.put("dtype", dtype);
        if (modelDir != null) {
            o.put("model-dir", modelDir.toString());
        }
        o.put("quantize", quantize);
        o.put("quantize-block-size", Integer.toString(quantizeBlockSize));
        String checkpointing = EngineFlags.checkpointingValue(gradientCheckpointing, checkpointBlocks);
        int checkpointed = Peft4jSettings.Builder.parseCheckpointing("--checkpoint-blocks", checkpointing);
        o.put("gradient-checkpointing", checkpointing);
        PrintWriter out = json ? spec.commandLine().getErr() : spec.commandLine().getOut();
        out.println("load average before: " + BenchOptions.loadAverage());
        TrainBench.Result r = TrainBench.train(o, out);
        out.printf(Locale.ROOT, "summary: %s %s batch %d x seq %d: %.1f tokens/s (median step %.3f s), peak RSS %d MiB, "
                + "%.1f GFLOP/s achieved", r.preset(), r.method(), r.batch(), r.seq(), r.tokensPerSecond(), r.medianStepSeconds(),
                r.peakRssKiB() / 1024, r.gflops());
        if (!Double.isNaN(r.peakGflops())) {
            out.printf(Locale.ROOT, " / %.1f GFLOP/s fp32 matmul peak = %.0f%%", r.peakGflops(), 100 * r.peakFraction());
        }
        out.println();
        out.println("load average after: " + BenchOptions.loadAverage());
        if (json) {
            com.google.gson.JsonObject j = new com.google.gson.JsonObject();
            j.addProperty("bench", "train");
            j.addProperty("preset", r.preset());
            j.addProperty("method", r.method());
            j.addProperty("batch", r.batch());
            j.addProperty("seq", r.seq());
            j.addProperty("dtype", dtype);
            j.addProperty("quantize", quantize);
            j.addProperty("gradient_checkpointing", checkpointed != 0);
            j.addProperty("checkpointed_blocks", Math.min(checkpointed, r.layers()));
            j.addProperty("median_step_s", r.medianStepSeconds());
            j.addProperty("tokens_per_s", r.tokensPerSecond());
            j.addProperty("peak_rss_mib", r.peakRssKiB() / 1024);
            j.addProperty("achieved_gflops", r.gflops());
            if (!Double.isNaN(r.peakGflops())) {
                j.addProperty("peak_gflops", r.peakGflops());
            }
            j.addProperty("load_average_after", BenchOptions.loadAverage());
            spec.commandLine().getOut().println(j);
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
