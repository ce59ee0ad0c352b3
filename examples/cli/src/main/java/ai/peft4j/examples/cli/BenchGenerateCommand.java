package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.quant.Quantization;
import ai.peft4j.examples.bench.GenerateBench;
import ai.peft4j.examples.bench.TrainBench;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j bench generate}: decoding speed of the onnx and pytorch engines in one run
 * (batch 1, KV cache, greedy), requests alternating between engines, on a random-weight model of
 * a preset shape or on {@code --model}. Prints medians of time to first token and tokens/s per
 * engine and, for onnx, the cost of switching LoRA adapters per request against the plain graph
 * (what a merged adapter runs). With {@code --quantize int4,int8} each engine also runs on the
 * quantized base (ONNX Runtime's {@code MatMulNBits} on onnx), and the speed-ups over float32 are
 * printed. {@code --json} prints one JSON object on stdout (the text goes to stderr). See
 * {@link GenerateBench}.
 *
 * <pre>{@code
 * peft4j bench generate --engine both --preset gpt2-small --threads 2 --repeats 5
 * peft4j bench generate --engine onnx --quantize none,int4,int8 --threads 2 --json
 * peft4j bench generate --preset gptj-6b --model-dir /data/gptj-random --quantize int4 --new-tokens 8 --repeats 1 --warmup 0
 * }</pre>
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generation speed: time to first token and tokens/s, onnx vs pytorch, and per-request adapter switching.")
public final class BenchGenerateCommand implements Callable<Integer> {
    @Option(names = "--engine", paramLabel = "NAME", defaultValue = "both", description = "onnx, pytorch or both (default).")
    String engine;

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "gpt2-small",
            description = "Random-weight model shape: gpt2-small (default; 12 x 768, vocab 50257), tiny, gptj-6b (KoGPT's shape, "
                    + "F16) or polyglot-ko-1.3b (F16), as bench train.")
    String preset;

    @Option(names = "--model", paramLabel = "DIR", description = "Benchmark this model directory instead of a preset.")
    Path model;

    @Option(names = "--model-dir", paramLabel = "DIR",
            description = "Keep the preset's random model in DIR and reuse it when it is already there (as bench train --model-dir).")
    Path modelDir;

    @Option(names = "--engine-option", paramLabel = "ENGINE.OPTION=VALUE",
            description = "An engine's tuning knob, repeatable, e.g. onnx.quantized_matmul=float32 (exact float32 products).")
    java.util.Map<String, String> engineOptions = new java.util.LinkedHashMap<>();

    @Option(names = "--prompt-tokens", paramLabel = "N", defaultValue = "128", description = "Prompt length (default 128).")
    int promptTokens;

    @Option(names = "--new-tokens", paramLabel = "N", defaultValue = "64", description = "Tokens generated (default 64).")
    int newTokens;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "Intra-op threads; 0: the engine's choice.")
    int threads;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "5", description = "Timed requests per engine (default 5).")
    int repeats;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1", description = "Untimed requests per engine first (default 1).")
    int warmup;

    @Option(names = "--quantize", paramLabel = "SCHEMES", defaultValue = "none", split = ",",
            description = "Bases to run each engine on, comma-separated: none (default; float32), int8, int4 (blocks of 32).")
    List<String> quantize;

    @Option(names = "--dtype", paramLabel = "DTYPE", defaultValue = "auto",
            description = "Base weight precision: auto (default; as stored) or float16 (held in float16, widened per use).")
    String dtype;

    @Option(names = "--json", description = "Print one JSON object on stdout (the text goes to stderr).")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        List<String> bases = switch (engine.toLowerCase(Locale.ROOT)) {
            case "both" -> List.of("onnx", "pytorch");
            case "onnx" -> List.of("onnx");
            case "pytorch" -> List.of("pytorch");
            default -> throw new Peft4jException("--engine must be onnx, pytorch or both, got '" + engine + "'");
        };
        List<Quantization> schemes = new ArrayList<>();
        for (String q : quantize) {
            Quantization parsed = Quantization.parse(q);
            if (!schemes.contains(parsed)) {
                schemes.add(parsed);
            }
        }
        String d = dtype.trim().toLowerCase(Locale.ROOT);
        if (!d.equals("auto") && !d.equals("float16")) {
            throw new Peft4jException("--dtype must be auto or float16, got '" + dtype + "'");
        }
        String half = d.equals("float16") ? "-fp16" : "";
        List<String> engines = new ArrayList<>();
        for (Quantization q : schemes) {
            for (String b : bases) {
                engines.add(q == Quantization.NONE ? b + half : b + half + "-" + q.id());
            }
        }
        if (bases.contains("onnx") && schemes.contains(Quantization.NONE) && half.isEmpty()) {
            engines.add("onnx-lora");
        }
        if (promptTokens < 1 || newTokens < 2 || repeats < 1 || warmup < 0 || threads < 0) {
            throw new Peft4jException("need --prompt-tokens >= 1, --new-tokens >= 2, --repeats >= 1, --warmup >= 0, --threads >= 0");
        }
        PrintWriter out = json ? spec.commandLine().getErr() : spec.commandLine().getOut();
        Path temp = null;
        Path dir = model;
        try {
            if (dir == null) {
                String p = preset.toLowerCase(Locale.ROOT);
                if (modelDir == null) {
                    temp = Files.createTempDirectory("peft4j-bench-");
                }
                dir = modelDir == null ? temp : modelDir;
                TrainBench.writeOrReuseRandomModel(dir, p, promptTokens + newTokens, out);
            }
            String loadBefore = BenchOptions.loadAverage();
            out.printf(Locale.ROOT, "batch 1, prompt %d tokens, %d new tokens, KV cache, greedy; threads %s; %d warm-up + %d timed "
                    + "per engine; load average %s%n", promptTokens, newTokens, threads == 0 ? "engine default" : threads, warmup,
                    repeats, loadBefore);
            List<GenerateBench.Result> results = GenerateBench.run(engines, dir, promptTokens, newTokens, warmup, repeats, threads,
                    engineOptions);
            results.forEach(r -> out.println(r));
            summarize(results, out);
            String loadAfter = BenchOptions.loadAverage();
            out.printf(Locale.ROOT, "peak RSS of the process %d MiB; load average after: %s%n", GenerateBench.peakRssMb(), loadAfter);
            out.flush();
            if (json) {
                PrintWriter stdout = spec.commandLine().getOut();
                stdout.println(CliJson.toJson(toJson(results, loadBefore, loadAfter)));
                stdout.flush();
            }
        } finally {
            if (temp != null) {
                deleteTree(temp);
            }
        }
        return 0;
    }

    private JsonObject toJson(List<GenerateBench.Result> results, String loadBefore, String loadAfter) {
        JsonObject j = new JsonObject();
        j.addProperty("bench", "generate");
        j.addProperty("model", model == null ? "random " + preset.toLowerCase(Locale.ROOT) : model.toString());
        j.addProperty("batch", 1);
        j.addProperty("prompt_tokens", promptTokens);
        j.addProperty("new_tokens", newTokens);
        j.addProperty("threads", threads);
        j.addProperty("dtype", dtype.trim().toLowerCase(Locale.ROOT));
        j.addProperty("onnx_quantized_matmul", engineOptions.getOrDefault("onnx.quantized_matmul", "int8"));
        j.addProperty("warmup", warmup);
        j.addProperty("repeats", repeats);
        j.addProperty("statistic", "median over repeats");
        j.addProperty("load_average_before", loadBefore);
        j.addProperty("load_average_after", loadAfter);
        j.addProperty("peak_rss_mib", GenerateBench.peakRssMb());
        JsonObject engines = new JsonObject();
        for (GenerateBench.Result r : results) {
            JsonObject e = new JsonObject();
            e.addProperty("quantization", r.quantization());
            e.addProperty("decode_tokens_per_s", r.decodeTokensPerSecond());
            e.addProperty("ttft_ms", r.ttftMs());
            e.addProperty("end_to_end_tokens_per_s", r.endToEndTokensPerSecond());
            e.addProperty("load_ms", r.loadMs());
            e.addProperty("first_forward_ms", r.firstForwardMs());
            e.addProperty("rss_mib", r.rssMb());
            e.addProperty("rss_file_mib", r.rssFileMb());
            e.addProperty("rss_growth_on_load_mib", r.rssGrowthMb());
            engines.add(r.engine(), e);
        }
        j.add("engines", engines);
        JsonObject speedups = new JsonObject();
        for (GenerateBench.Result r : results) {
            GenerateBench.Result fp32 = fp32Of(results, r);
            if (fp32 != null && fp32 != r) {
                speedups.addProperty(r.engine() + "/" + fp32.engine(), r.decodeTokensPerSecond() / fp32.decodeTokensPerSecond());
            }
        }
        j.add("decode_speedup_over_float32", speedups);
        return j;
    }

    /** The float32 run of the same engine as a quantized run, or null. */
    private static GenerateBench.Result fp32Of(List<GenerateBench.Result> results, GenerateBench.Result r) {
        if (r.quantization().equals(Quantization.NONE.id())) {
            return null;
        }
        return find(results, r.engine().substring(0, r.engine().length() - r.quantization().length() - 1));
    }

    private static void summarize(List<GenerateBench.Result> results, PrintWriter out) {
        GenerateBench.Result onnx = find(results, "onnx");
        GenerateBench.Result pt = find(results, "pytorch");
        GenerateBench.Result lora = find(results, "onnx-lora");
        if (onnx != null && pt != null) {
            out.printf(Locale.ROOT, "onnx / pytorch: decode %.2fx, end-to-end %.2fx, time to first token %.2fx faster%n",
                    onnx.decodeTokensPerSecond() / pt.decodeTokensPerSecond(),
                    onnx.endToEndTokensPerSecond() / pt.endToEndTokensPerSecond(), pt.ttftMs() / onnx.ttftMs());
        }
        for (GenerateBench.Result r : results) {
            GenerateBench.Result fp32 = fp32Of(results, r);
            if (fp32 != null) {
                out.printf(Locale.ROOT, "%s / %s: decode %.2fx, time to first token %.2fx faster, RSS growth on load %d vs %d MB%n",
                        r.engine(), fp32.engine(), r.decodeTokensPerSecond() / fp32.decodeTokensPerSecond(), fp32.ttftMs() / r.ttftMs(),
                        r.rssGrowthMb(), fp32.rssGrowthMb());
            }
        }
        if (onnx != null && lora != null) {
            out.printf(Locale.ROOT, "per-request LoRA switching (rank 8 on the default targets, adapter changes every request) vs the plain "
                    + "graph a merged adapter runs: decode %.1f%% slower, end-to-end %.1f%% slower%n",
                    100 * (1 - lora.decodeTokensPerSecond() / onnx.decodeTokensPerSecond()),
                    100 * (1 - lora.endToEndTokensPerSecond() / onnx.endToEndTokensPerSecond()));
        }
    }

    private static GenerateBench.Result find(List<GenerateBench.Result> results, String name) {
        return results.stream().filter(r -> r.engine().equals(name)).findFirst().orElse(null);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> all = new ArrayList<>(s.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory; leaving it is harmless
        }
    }
}
