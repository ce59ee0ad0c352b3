package ai.peft4j.examples.bench;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.generate.Generator;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethod;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.quant.Quantization;
import ai.peft4j.api.serving.AdapterServing;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Decoding speed of the engines on one model: batch 1, a random prompt, greedy with the KV
 * cache, through the engine-agnostic {@link Generator} (time to first token from its
 * {@linkplain ai.peft4j.api.generate.TokenStreamer streamer}). Engines are found by name, so any
 * installed engine runs. Several engines in one run alternate request by request, so load from
 * other processes hits each alike.
 *
 * <p>An engine spec is an engine name with optional suffixes: {@code -fp16} holds the base weights
 * in float16, {@code -int8} / {@code -int4} quantizes them on load (int4 in blocks of
 * {@value #INT4_BLOCK}). {@code onnx-lora} serves two rank-8 LoRA adapters (the real LoRA plugin,
 * on the preset's default targets) from one ONNX Runtime session through
 * {@link AdapterServing}, switching adapter every request: the cost of per-request adapters
 * against the plain graph (what a merged adapter runs).
 *
 * <pre>{@code
 * List<GenerateBench.Result> r = GenerateBench.run(List.of("onnx", "onnx-int4"), modelDir, 128, 64, 1, 5, 2, Map.of());
 * }</pre>
 */
public final class GenerateBench {
    private GenerateBench() {}

    /** The int4 block size of the {@code -int4} specs. */
    public static final int INT4_BLOCK = 32;

    /**
     * Medians of one engine's runs; times in milliseconds. Memory in MiB: {@code rssMb} and
     * {@code rssFileMb} are the whole process's after every engine loaded; {@code rssGrowthMb} is
     * how much the process grew while this engine loaded and ran its first request.
     */
    public record Result(String engine, String quantization, double loadMs, double firstForwardMs, double ttftMs,
            double decodeTokensPerSecond, double endToEndTokensPerSecond, long rssMb, long rssFileMb, long rssGrowthMb) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-14s load %8.1f ms  first request %8.1f ms  TTFT %8.1f ms  decode %6.2f tok/s  "
                    + "end-to-end %6.2f tok/s  RSS %5d MB (%d MB file-backed; +%d MB on load)", engine, loadMs, firstForwardMs,
                    ttftMs, decodeTokensPerSecond, endToEndTokensPerSecond, rssMb, rssFileMb, rssGrowthMb);
        }
    }

    /** One engine spec, parsed: {@code <engine>[-lora][-fp16][-int8|-int4]}. */
    public record Spec(String name, String engine, boolean servedAdapters, boolean float16, Quantization quantization) {
        /** Parses a spec; an unknown engine fails when it is loaded, listing the installed ones. */
        public static Spec parse(String name) {
            String rest = name.trim().toLowerCase(Locale.ROOT);
            Quantization q = Quantization.NONE;
            for (Quantization s : List.of(Quantization.INT8, Quantization.INT4)) {
                if (rest.endsWith("-" + s.id())) {
                    q = s;
                    rest = rest.substring(0, rest.length() - s.id().length() - 1);
                }
            }
            boolean fp16 = rest.endsWith("-fp16");
            rest = fp16 ? rest.substring(0, rest.length() - "-fp16".length()) : rest;
            boolean lora = rest.endsWith("-lora");
            rest = lora ? rest.substring(0, rest.length() - "-lora".length()) : rest;
            if (lora && !rest.equals("onnx")) {
                throw new Peft4jException("'" + name + "': per-request adapter serving is an onnx engine feature (onnx-lora)");
            }
            return new Spec(name, rest, lora, fp16, q);
        }

        EngineOptions options(int threads, Map<String, String> engineProperties) {
            return new EngineOptions("cpu", threads).withWeightDtype(float16 ? "float16" : "auto")
                    .withQuantization(quantization, INT4_BLOCK).withEngineProperties(engineProperties);
        }
    }

    /**
     * Loads every spec's engine in this JVM and alternates their timed requests. RSS is the
     * process's, after all loads; run one spec per JVM for a per-engine memory figure.
     */
    public static List<Result> run(List<String> specs, Path modelDir, int promptLength, int newTokens, int warmup, int repeats,
            int threads, Map<String, String> engineProperties) {
        List<Bench> benches = new ArrayList<>();
        try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
            try {
                for (String name : specs) {
                    long before = rssMb("VmRSS:");
                    Bench b = new Bench(Spec.parse(name), ckpt, threads, engineProperties, promptLength);
                    benches.add(b);
                    b.first();
                    b.rssGrowthMb = rssMb("VmRSS:") - before;
                }
                for (int i = 0; i < warmup; i++) {
                    for (Bench b : benches) {
                        b.generate(i, newTokens, null);
                    }
                }
                double[][] ttft = new double[benches.size()][repeats];
                double[][] decode = new double[benches.size()][repeats];
                double[][] total = new double[benches.size()][repeats];
                for (int i = 0; i < repeats; i++) {
                    for (int e = 0; e < benches.size(); e++) {
                        pause();
                        double[] t = new double[2];
                        long s = System.nanoTime();
                        benches.get(e).generate(i, newTokens, t);
                        double all = (System.nanoTime() - s) / 1e9;
                        ttft[e][i] = t[0] * 1e3;
                        decode[e][i] = (newTokens - 1) / t[1];
                        total[e][i] = newTokens / all;
                    }
                }
                long rss = rssMb("VmRSS:");
                long rssFile = rssMb("RssFile:");
                List<Result> out = new ArrayList<>();
                for (int e = 0; e < benches.size(); e++) {
                    Bench b = benches.get(e);
                    out.add(new Result(b.spec.name(), b.spec.quantization().id(), b.loadMs, b.firstMs, median(ttft[e]),
                            median(decode[e]), median(total[e]), rss, rssFile, b.rssGrowthMb));
                }
                return out;
            } finally {
                benches.forEach(Bench::close);
            }
        }
    }

    /** Lets the previous engine's spinning worker threads go idle before the next one is timed. */
    private static void pause() {
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One engine under test: its model, prompt, and (onnx-lora) the serving and its adapters. */
    private static final class Bench implements AutoCloseable {
        final Spec spec;
        final PeftModel model;
        final double loadMs;
        final int[] prompt;
        final List<DecoderRuntime> targets = new ArrayList<>();
        AdapterServing serving;
        HookSet hooks = HookSet.EMPTY;
        double firstMs;
        long rssGrowthMb;

        Bench(Spec spec, Checkpoint ckpt, int threads, Map<String, String> engineProperties, int promptLength) {
            this.spec = spec;
            long t0 = System.nanoTime();
            this.model = PeftModel.of(Engines.byName(spec.engine()).load(ckpt, spec.options(threads, engineProperties)));
            this.loadMs = (System.nanoTime() - t0) / 1e6;
            prompt = new int[promptLength];
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = rnd.nextInt(model.runtime().config().vocabSize() - 1);
            }
            if (spec.servedAdapters()) {
                PeftMethod lora = PeftMethods.byName("lora");
                PeftConfig config = lora.parseConfig(com.google.gson.JsonParser.parseString("{\"r\": 8, \"lora_alpha\": 16}")
                        .getAsJsonObject(), "bench");
                for (int a = 0; a < 2; a++) {
                    model.setSeed(31 + a).addAdapter("bench-adapter-" + a, config);
                }
                serving = AdapterServing.of(model, 8);
                hooks = serving.hooks();
                for (String a : serving.adapterNames()) {
                    targets.add(serving.runtime(serving.adapter(a)));
                }
            } else {
                targets.add(model.runtime());
            }
        }

        /** The first (session-building) request, timed apart from the steady state. */
        void first() {
            long f0 = System.nanoTime();
            GenerateBench.generate(targets.get(0), hooks, prompt, 2, null);
            firstMs = (System.nanoTime() - f0) / 1e6;
        }

        /** Request i; onnx-lora switches adapters every request. */
        void generate(int i, int newTokens, double[] times) {
            GenerateBench.generate(targets.get(i % targets.size()), hooks, prompt, newTokens, times);
        }

        @Override
        public void close() {
            if (serving != null) {
                serving.close();
            }
            model.close();
        }
    }

    /** Greedy generation of exactly {@code newTokens}; {@code times} receives TTFT and decode seconds. */
    private static void generate(DecoderRuntime rt, HookSet hooks, int[] prompt, int newTokens, double[] times) {
        long[] firstAt = {0};
        long s = System.nanoTime();
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(newTokens).minNewTokens(newTokens).build();
        int produced = new Generator(rt, hooks).generate(new int[][] {prompt}, null, config, tokens -> {
            if (firstAt[0] == 0) {
                firstAt[0] = System.nanoTime();
            }
        }).newTokens()[0].length;
        long end = System.nanoTime();
        if (produced != newTokens) {
            throw new IllegalStateException("generated " + produced + " tokens, not " + newTokens);
        }
        if (times != null) {
            times[0] = (firstAt[0] - s) / 1e9;
            times[1] = (end - firstAt[0]) / 1e9;
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The process's peak resident memory so far (VmHWM) in MiB, or -1 where unavailable. */
    public static long peakRssMb() {
        return rssMb("VmHWM:");
    }

    /** A resident-memory line of {@code /proc/self/status} in MB, or -1 where unavailable. */
    static long rssMb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
