package ai.peft4j.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.data.TokenizedExample;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.full.ModelFactory;
import ai.peft4j.api.inject.Peft4jSettings;
import ai.peft4j.api.io.DType;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethod;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.quant.Quantization;
import ai.peft4j.api.train.LearningRateSchedule;
import ai.peft4j.api.train.StepMetrics;
import ai.peft4j.api.train.Trainer;
import ai.peft4j.api.train.TrainingConfig;
import ai.peft4j.api.train.TrainingListener;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Training benchmarks on random weights of a preset shape, through the real {@link Trainer}.
 *
 * <ul>
 *   <li>{@code train --preset gpt2-small|tiny|gptj-6b|polyglot-ko-1.3b --method lora|prompt-tuning|full [--batch 4] [--seq 256]
 *       [--steps 6] [--warmup 2] [--threads 2] [--config JSON] [--no-roofline]}: median step time,
 *       tokens/s, peak RSS, achieved GFLOP/s and its share of the GEMM peak measured in the same run.
 *       The method is found by name ({@link PeftMethods#byName}), so any installed plugin works.
 *   <li>{@code roofline [--preset ...] [--batch 4] [--seq 256] [--threads 2]}: fp32 matmul GFLOP/s of
 *       the preset's GEMM shapes with DJL/libtorch.
 *   <li>{@code memory [--preset tiny] [--method full] [--steps 2000] [--probe 200]}: RSS after
 *       {@code probe} and after {@code steps} steps (native memory must stay flat).
 * </ul>
 *
 * <p>FLOP model (per token, forward): {@code 2·Σ(in·out)} over the linear sites, {@code 2·H·V} for
 * the head, {@code 4·S·H} per layer for attention (the full masked S×S product, as computed).
 * Training counts the forward, the input-gradient backward (the same again) and, for {@code full}
 * only, the weight gradients (the linear part once more); attention backward counts twice its
 * forward. Adapter FLOPs (LoRA's rank-r products) are left out: they are under 1%.
 *
 * <p>The command line is {@code peft4j bench train|roofline|memory} (picocli); these methods take
 * its options as a map without dashes.
 *
 * <pre>{@code
 * TrainBench.Result r = TrainBench.train(Map.of("preset", "tiny", "method", "full"), new PrintWriter(System.out, true));
 * }</pre>
 */
public final class TrainBench {
    private TrainBench() {}

    private static int intOpt(Map<String, String> o, String k, int def) {
        return o.containsKey(k) ? Integer.parseInt(o.get(k)) : def;
    }

    /**
     * Writes the preset's random weights into {@code dir}, or reuses them when {@code dir} already
     * holds that preset's model (the same {@code config.json}); says which on {@code out}.
     */
    public static void writeOrReuseRandomModel(Path dir, String preset, int seq, PrintWriter out) throws IOException {
        JsonObject config = preset(preset, seq);
        if (Files.isRegularFile(dir.resolve("model.safetensors")) && Files.isRegularFile(dir.resolve("config.json"))
                && JsonParser.parseString(Files.readString(dir.resolve("config.json"))).equals(config)) {
            out.printf(Locale.ROOT, "model: %s random weights reused from %s%n", preset, dir);
        } else {
            long t0 = System.nanoTime();
            ModelFactory.writeRandom(dir, config, 1, presetDtype(preset));
            out.printf(Locale.ROOT, "model: %s random weights (%s) written in %.1f s%n", preset, presetDtype(preset),
                    (System.nanoTime() - t0) / 1e9);
        }
        out.flush();
    }

    /** The preset's config.json; positions cover the sequence (plus room for a soft prompt). */
    public static JsonObject preset(String name, int seq) {
        switch (name) {
            case "gpt2-small":
                return ModelFactory.gpt2SmallConfig();
            case "tiny":
                return ModelFactory.gpt2Config(1250, Math.max(128, seq + 32), 64, 2, 4);
            case "gptj-6b":
                return gptj6bConfig();
            case "polyglot-ko-1.3b":
                return polyglotKo13bConfig();
            default:
                throw new Peft4jException("unknown preset '" + name + "'; use gpt2-small, tiny, gptj-6b or polyglot-ko-1.3b");
        }
    }

    /** The stored dtype of a preset's random weights: F16 for the real-size presets, as published. */
    static DType presetDtype(String name) {
        return name.equals("gptj-6b") || name.equals("polyglot-ko-1.3b") ? DType.F16 : DType.F32;
    }

    /** KoGPT's shape (kakaobrain/kogpt, GPT-J 6 B): 28 x 4096, 16 heads, rotary 64, vocab 64512. */
    static JsonObject gptj6bConfig() {
        return JsonParser.parseString("{\"architectures\": [\"GPTJForCausalLM\"], \"model_type\": \"gptj\", \"vocab_size\": 64512,"
                + " \"n_positions\": 2048, \"n_embd\": 4096, \"n_layer\": 28, \"n_head\": 16, \"rotary_dim\": 64,"
                + " \"activation_function\": \"gelu_new\", \"layer_norm_epsilon\": 1e-5, \"initializer_range\": 0.02,"
                + " \"bos_token_id\": 1, \"eos_token_id\": 2, \"tie_word_embeddings\": false, \"resid_pdrop\": 0.0,"
                + " \"embd_pdrop\": 0.0, \"attn_pdrop\": 0.0, \"dtype\": \"float16\"}").getAsJsonObject();
    }

    /** EleutherAI/polyglot-ko-1.3b's shape (GPT-NeoX): 24 x 2048, 16 heads, rotary 50%, vocab 30080. */
    static JsonObject polyglotKo13bConfig() {
        return JsonParser.parseString("{\"architectures\": [\"GPTNeoXForCausalLM\"], \"model_type\": \"gpt_neox\", \"vocab_size\": 30080,"
                + " \"max_position_embeddings\": 2048, \"hidden_size\": 2048, \"num_hidden_layers\": 24, \"num_attention_heads\": 16,"
                + " \"intermediate_size\": 8192, \"rotary_pct\": 0.5, \"rotary_emb_base\": 10000, \"hidden_act\": \"gelu\","
                + " \"layer_norm_eps\": 1e-5, \"use_parallel_residual\": true, \"initializer_range\": 0.02,"
                + " \"bos_token_id\": 0, \"eos_token_id\": 2, \"tie_word_embeddings\": false, \"dtype\": \"float16\"}").getAsJsonObject();
    }

    /** A default method config for the bench (the issue's: LoRA r=8 on c_attn; 20 virtual tokens). */
    static JsonObject methodConfig(String method, Map<String, String> o) {
        if (o.containsKey("config")) {
            return JsonParser.parseString(o.get("config")).getAsJsonObject();
        }
        String preset = o.getOrDefault("preset", "tiny");
        String targets = preset.equals("gptj-6b") ? "[\"q_proj\", \"v_proj\"]"
                : preset.equals("polyglot-ko-1.3b") ? "[\"query_key_value\"]" : "[\"c_attn\"]";
        switch (method) {
            case "lora":
                return JsonParser.parseString("{\"r\": 8, \"lora_alpha\": 16, \"lora_dropout\": 0.0, \"target_modules\": " + targets + "}")
                        .getAsJsonObject();
            case "prompt-tuning":
                return JsonParser.parseString("{\"num_virtual_tokens\": 20, \"prompt_tuning_init\": \"RANDOM\"}").getAsJsonObject();
            default:
                return new JsonObject();
        }
    }

    private static final class Setup implements AutoCloseable {
        final Path dir;
        final boolean keep;
        final PeftModel model;
        final DecoderConfig cfg;

        Setup(String preset, String method, int seq, int threads, Map<String, String> o, PrintWriter out) throws IOException {
            this.keep = o.containsKey("model-dir");
            this.dir = keep ? Path.of(o.get("model-dir")) : Files.createTempDirectory("peft4j-bench-");
            writeOrReuseRandomModel(dir, preset, seq, out);
            Engine engine = Engines.byName("pytorch");
            EngineOptions eo = engineOptions(o, threads);
            long t1 = System.nanoTime();
            this.model = PeftModel.open(dir, engine, eo);
            out.printf(Locale.ROOT, "loaded: weight dtype %s, quantization %s, gradient checkpointing %s in %.1f s, RSS %d MiB%n",
                    eo.weightDtype(), eo.quantization().id(), EngineOptions.describeCheckpointedBlocks(eo.checkpointedBlocks()), (System.nanoTime() - t1) / 1e9,
                    rssKiB("VmRSS") / 1024);
            this.cfg = model.runtime().config();
            PeftMethod m = PeftMethods.byName(method);
            PeftConfig pc = m.parseConfig(methodConfig(method, o), "bench");
            model.setSeed(1).addAdapter("bench", pc);
            out.println("method: " + m.name() + " " + pc.toJson() + " -> " + model.trainableParameters());
        }

        @Override
        public void close() {
            model.close();
            if (keep) {
                return;
            }
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // temp files only
            }
        }
    }

    /** Engine options from the bench's {@code dtype}, {@code quantize}, {@code quantize-block-size} and {@code gradient-checkpointing}. */
    static EngineOptions engineOptions(Map<String, String> o, int threads) {
        return new EngineOptions("cpu", threads).withWeightDtype(o.getOrDefault("dtype", "auto"))
                .withQuantization(Quantization.parse(o.get("quantize")), intOpt(o, "quantize-block-size", Quantization.DEFAULT_BLOCK_SIZE))
                .withCheckpointedBlocks(Peft4jSettings.Builder.parseCheckpointing("gradient-checkpointing",
                        o.getOrDefault("gradient-checkpointing", "false")));
    }

    static List<TokenizedExample> randomData(int n, int seq, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<TokenizedExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] ids = new int[seq];
            for (int j = 0; j < seq; j++) {
                ids[j] = r.nextInt(vocab - 1);
            }
            out.add(TokenizedExample.ofSequence(ids));
        }
        return out;
    }

    /** Training FLOPs of one step (see the class comment). */
    static double trainFlops(DecoderConfig c, List<LinearSite> sites, int batch, int seqWithPrefix, boolean full) {
        double linear = 0;
        for (LinearSite s : sites) {
            linear += 2.0 * s.inFeatures() * s.outFeatures();
        }
        linear += 2.0 * c.hiddenSize() * c.vocabSize();
        double attn = 4.0 * seqWithPrefix * c.hiddenSize() * c.numLayers();
        double perToken = (full ? 3 : 2) * linear + 3 * attn;
        return perToken * batch * seqWithPrefix;
    }

    /**
     * The training bench with options as {@code main} takes them (without dashes: {@code preset},
     * {@code method}, {@code batch}, {@code seq}, {@code steps}, {@code warmup}, {@code threads},
     * {@code config}, {@code no-roofline}); prints to {@code out} and returns the result.
     */
    public static Result train(Map<String, String> o, PrintWriter out) throws IOException {
        String preset = o.getOrDefault("preset", "tiny");
        String method = o.getOrDefault("method", "lora");
        int batch = intOpt(o, "batch", 4);
        int seq = intOpt(o, "seq", 256);
        int threads = intOpt(o, "threads", 2);
        int warmup = intOpt(o, "warmup", 2);
        int steps = intOpt(o, "steps", preset.equals("tiny") ? 30 : 6);
        out.printf(Locale.ROOT, "bench train: preset %s, method %s, batch %d x seq %d, %d threads, %d warm-up + %d timed steps%n",
                preset, method, batch, seq, threads, warmup, steps);
        double peak = o.containsKey("no-roofline") ? Double.NaN : roofline(o, false, out);
        try (Setup s = new Setup(preset, method, seq, threads, o, out)) {
            int prefix = s.model.hooks().prefixLength();
            List<TokenizedExample> data = randomData(batch * (warmup + steps), seq, s.cfg.vocabSize(), 7);
            TrainingConfig tc = TrainingConfig.builder().optOptimizer("adamw").optLearningRate(1e-4)
                    .optSchedule(LearningRateSchedule.Type.CONSTANT).optBatchSize(batch).optMaxSteps(warmup + steps).optShuffle(false)
                    .optBucketWindowBatches(1).optSaveFinal(false).build();
            List<Double> secs = new ArrayList<>();
            Trainer t = new Trainer(s.model, tc);
            t.addListener(new TrainingListener() {
                @Override
                public void onStepEnd(StepMetrics m) {
                    out.printf(Locale.ROOT, "  step %d/%d loss %.4f %.3f s %.0f tok/s rss %d MiB%n", m.step(), m.totalSteps(), m.loss(),
                            m.stepSeconds(), m.tokensPerSecond(), rssKiB("VmRSS") / 1024);
                    if (m.step() > warmup) {
                        secs.add(m.stepSeconds());
                    }
                }
            });
            t.train(data, null);
            double median = median(secs);
            double flops = trainFlops(s.cfg, s.model.runtime().architecture().linearSites(s.cfg), batch, seq + prefix,
                    method.equals("full"));
            double gflops = flops / median / 1e9;
            out.printf(Locale.ROOT, "result: %s %s batch %d seq %d: median step %.3f s, %.1f tokens/s, %.1f GFLOP/step, %.1f GFLOP/s",
                    preset, method, batch, seq, median, batch * seq / median, flops / 1e9, gflops);
            if (!Double.isNaN(peak)) {
                out.printf(Locale.ROOT, " = %.0f%% of the %.1f GFLOP/s GEMM peak", 100 * gflops / peak, peak);
            }
            long peakRss = rssKiB("VmHWM");
            out.printf(Locale.ROOT, ", peak RSS %d MiB%n", peakRss / 1024);
            return new Result(preset, method, batch, seq, median, batch * seq / median, gflops, peak, peakRss, s.cfg.numLayers());
        }
    }

    /**
     * One training bench result: the median step after warm-up, tokens/s, achieved GFLOP/s, the
     * GEMM peak measured in the same run (NaN with {@code no-roofline}) and the process's peak RSS.
     */
    public record Result(String preset, String method, int batch, int seq, double medianStepSeconds, double tokensPerSecond,
            double gflops, double peakGflops, long peakRssKiB, int layers) {
        /** Achieved over peak, or NaN without a roofline. */
        public double peakFraction() {
            return gflops / peakGflops;
        }
    }

    /** Measures fp32 GEMM GFLOP/s for the preset's shapes; returns the FLOP-weighted aggregate. */
    public static double roofline(Map<String, String> o, boolean print, PrintWriter out) {
        String preset = o.getOrDefault("preset", "gpt2-small");
        int batch = intOpt(o, "batch", 4);
        int seq = intOpt(o, "seq", 256);
        int threads = intOpt(o, "threads", 2);
        DecoderConfig c = DecoderConfig.parse(preset(preset, seq).toString(), preset);
        Engines.byName("pytorch"); // sets offline mode
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch from the classpath jar
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        int m = batch * seq;
        int h = c.hiddenSize();
        int[][] shapes = {{m, h, 3 * h}, {m, h, h}, {m, h, c.intermediateSize()}, {m, c.intermediateSize(), h}, {m, h, c.vocabSize()}};
        double totalFlops = 0;
        double totalSecs = 0;
        try (NDManager nm = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
            for (int[] s : shapes) {
                try (NDManager sub = nm.newSubManager()) {
                    NDArray a = sub.randomNormal(new Shape(s[0], s[1]));
                    NDArray b = sub.randomNormal(new Shape(s[1], s[2]));
                    double flops = 2.0 * s[0] * s[1] * s[2];
                    int reps = (int) Math.max(3, Math.min(20, 2e10 / flops));
                    List<Double> t = new ArrayList<>();
                    for (int i = 0; i < reps + 1; i++) {
                        try (NDManager step = sub.newSubManager()) {
                            long t0 = System.nanoTime();
                            NDArray r = a.matMul(b);
                            r.attach(step);
                            double dt = (System.nanoTime() - t0) / 1e9;
                            if (i > 0) {
                                t.add(dt);
                            }
                        }
                    }
                    double med = median(t);
                    totalFlops += flops;
                    totalSecs += med;
                    if (print) {
                        out.printf(Locale.ROOT, "  [%d x %d] . [%d x %d]: %.2f ms, %.1f GFLOP/s%n", s[0], s[1], s[1], s[2], med * 1e3,
                                flops / med / 1e9);
                    }
                }
            }
        }
        double peak = totalFlops / totalSecs / 1e9;
        out.printf(Locale.ROOT, "roofline: %s GEMM mix at %d threads (M = %d tokens): %.1f GFLOP/s fp32%n", preset, threads, m, peak);
        return peak;
    }

    /**
     * The native-memory soak: RSS after {@code probe} and after {@code steps} training steps (it
     * must stay flat; a leak per step shows as growth). Options as {@link #train}'s, plus
     * {@code steps} (default 2000) and {@code probe} (default 200).
     */
    public static void memory(Map<String, String> o, PrintWriter out) throws Exception {
        String preset = o.getOrDefault("preset", "tiny");
        String method = o.getOrDefault("method", "full");
        int batch = intOpt(o, "batch", 2);
        int seq = intOpt(o, "seq", 32);
        int steps = intOpt(o, "steps", 2000);
        int probe = intOpt(o, "probe", 200);
        int threads = intOpt(o, "threads", 2);
        try (Setup s = new Setup(preset, method, seq, threads, o, out)) {
            List<TokenizedExample> data = randomData(64, seq, s.cfg.vocabSize(), 3);
            TrainingConfig tc = TrainingConfig.builder().optOptimizer("adamw").optLearningRate(1e-4).optBatchSize(batch)
                    .optMaxSteps(steps).optSaveFinal(false).build();
            long[] rss = new long[2];
            long[] heap = new long[2];
            Trainer t = new Trainer(s.model, tc);
            t.addListener(new TrainingListener() {
                @Override
                public void onStepEnd(StepMetrics m) {
                    if (m.step() == probe || m.step() == steps) {
                        System.gc();
                        int i = m.step() == probe ? 0 : 1;
                        rss[i] = rssKiB("VmRSS");
                        Runtime rt = Runtime.getRuntime();
                        heap[i] = (rt.totalMemory() - rt.freeMemory()) / 1024;
                        out.printf(Locale.ROOT, "  after %d steps: RSS %d KiB (Java heap used %d KiB), loss %.4f%n", m.step(), rss[i],
                                heap[i], m.loss());
                    }
                }
            });
            long t0 = System.nanoTime();
            t.train(data, null);
            out.printf(Locale.ROOT, "result: memory %s %s: RSS after %d steps %d KiB, after %d steps %d KiB (%+.1f%%), %.1f ms/step, peak RSS %d MiB%n",
                    preset, method, probe, rss[0], steps, rss[1], 100.0 * (rss[1] - rss[0]) / rss[0], (System.nanoTime() - t0) / 1e6 / steps,
                    rssKiB("VmHWM") / 1024);
        }
    }

    static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length == 0 ? Double.NaN : a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** A /proc/self/status field in KiB (VmRSS, VmHWM); -1 where unavailable. */
    static long rssKiB(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return -1;
    }
}
