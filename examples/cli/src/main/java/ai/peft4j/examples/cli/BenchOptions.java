package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/** The shape options {@code bench train} and {@code bench roofline} share, as {@code TrainBench} options. */
final class BenchOptions {
    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "gpt2-small",
            description = "Random-weight model shape: gpt2-small (default; 12 x 768, vocab 50257), tiny (2 x 64, vocab 1250), "
                    + "gptj-6b (KoGPT's shape, F16) or polyglot-ko-1.3b (F16).")
    String preset;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "4", description = "Sequences per step (default 4).")
    int batch;

    @Option(names = "--seq", paramLabel = "N", defaultValue = "256", description = "Tokens per sequence (default 256).")
    int seq;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "Intra-op threads; 0 (default): one per core.")
    int threads;

    Map<String, String> toMap() {
        String p = preset.toLowerCase(Locale.ROOT);
        if (!java.util.List.of("gpt2-small", "tiny", "gptj-6b", "polyglot-ko-1.3b").contains(p)) {
            throw new Peft4jException("--preset must be gpt2-small, tiny, gptj-6b or polyglot-ko-1.3b, got '" + preset + "'");
        }
        if (batch < 1 || seq < 2 || threads < 0) {
            throw new Peft4jException("need --batch >= 1, --seq >= 2 and --threads >= 0");
        }
        Map<String, String> o = new LinkedHashMap<>();
        o.put("preset", p);
        o.put("batch", Integer.toString(batch));
        o.put("seq", Integer.toString(seq));
        o.put("threads", Integer.toString(threads == 0 ? Runtime.getRuntime().availableProcessors() : threads));
        return o;
    }

    /** The 1, 5 and 15 minute load averages, for the record next to a timing. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return l < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", l);
        }
    }
}
