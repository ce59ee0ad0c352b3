package ai.peft4j.engine.onnx;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.io.AtomicFiles;
import ai.peft4j.api.io.DType;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.RawTensor;
import ai.peft4j.api.io.SafetensorsWriter;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.Tensor;
import ai.peft4j.api.quant.Quantization;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Decoding speed of the ONNX and PyTorch engines on the same random-weight GPT-2-small-shaped
 * model: batch 1, a 128-token prompt, 64 new tokens with the KV cache. Prints time to first
 * token, decode tokens/s and end-to-end tokens/s (medians over the repeats), plus load time and
 * resident memory. Engines are looked up by name, so only the installed ones run. Several
 * engines in one run alternate request by request, so a busy shared machine slows each alike;
 * run each engine in its own JVM ({@code --engines onnx}) for a clean memory figure.
 *
 * <p>{@code onnx-lora} measures per-request adapters: the ONNX engine serving a rank-8 LoRA on
 * every {@code c_attn} through {@link OnnxLoraServing}, switching between two adapters every
 * request, against the plain (merged-equivalent) base graph.
 *
 * <p>A suffix {@code -int8} or {@code -int4} loads that engine on a quantized base (int4 in
 * blocks of 32): {@code onnx-int4} runs ONNX Runtime's {@code MatMulNBits}, {@code pytorch-int4}
 * dequantizes per use. A suffix {@code -fp16} holds the base weights in float16 ({@code weightDtype
 * float16}).
 *
 * <pre>{@code
 * java -cp ... ai.peft4j.engine.onnx.OnnxVsPytorchBench --engines onnx,onnx-int4,onnx-int8 --threads 2 --repeats 5
 * OnnxVsPytorchBench.Result r = OnnxVsPytorchBench.run("onnx-int4", modelDir, 128, 64, 1, 5, 2);
 * }</pre>
 */
public final class OnnxVsPytorchBench {
    private OnnxVsPytorchBench() {}

    /** The int4 block size of the {@code -int4} engines. */
    public static final int INT4_BLOCK = 32;

    /**
     * Medians of one engine's runs; times in milliseconds. Memory in MiB: {@code rssMb} and
     * {@code rssFileMb} are the whole process's after every engine loaded; {@code rssGrowthMb} is
     * how much the process grew while this engine loaded and ran its first forward (the sessions
     * are built then), a per-engine figure even when several engines share the JVM.
     */
    public record Result(String engine, String quantization, double loadMs, double firstForwardMs, double ttftMs,
            double decodeTokensPerSecond, double endToEndTokensPerSecond, long rssMb, long rssFileMb, long rssGrowthMb) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-12s load %7.1f ms  first forward %7.1f ms  TTFT %7.1f ms  decode %6.1f tok/s  "
                    + "end-to-end %6.1f tok/s  RSS %5d MB (%d MB file-backed; +%d MB on load)", engine, loadMs, firstForwardMs,
                    ttftMs, decodeTokensPerSecond, endToEndTokensPerSecond, rssMb, rssFileMb, rssGrowthMb);
        }
    }

    /** An engine spec's quantization: the {@code -int8} / {@code -int4} suffix, else none. */
    static Quantization quantizationOf(String spec) {
        for (Quantization q : List.of(Quantization.INT8, Quantization.INT4)) {
            if (spec.endsWith("-" + q.id())) {
                return q;
            }
        }
        return Quantization.NONE;
    }

    /**
     * Writes a random-weight GPT-2 checkpoint ({@code config.json} + {@code model.safetensors}),
     * weights uniform in ±0.04, biases and norms as usual. Data goes through off-heap buffers.
     */
    public static Path writeRandomGpt2(Path dir, int layers, int hidden, int heads, int vocab, int context, long seed) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot create: " + e.getMessage(), e);
        }
        String config = String.format(Locale.ROOT, "{\"model_type\": \"gpt2\", \"vocab_size\": %d, \"n_embd\": %d, \"n_layer\": %d, "
                + "\"n_head\": %d, \"n_positions\": %d, \"n_ctx\": %d, \"activation_function\": \"gelu_new\", "
                + "\"layer_norm_epsilon\": 1e-05, \"tie_word_embeddings\": true, \"bos_token_id\": %d, \"eos_token_id\": %d}",
                vocab, hidden, layers, heads, context, context, vocab - 1, vocab - 1);
        AtomicFiles.writeString(dir.resolve("config.json"), config);
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        String p = "transformer.";
        tensors.put(p + "wte.weight", random(rnd, 0.04f, 0f, vocab, hidden));
        tensors.put(p + "wpe.weight", random(rnd, 0.02f, 0f, context, hidden));
        for (int i = 0; i < layers; i++) {
            String l = p + "h." + i + ".";
            tensors.put(l + "ln_1.weight", random(rnd, 0.1f, 1f, hidden));
            tensors.put(l + "ln_1.bias", random(rnd, 0.02f, 0f, hidden));
            tensors.put(l + "attn.c_attn.weight", random(rnd, 0.04f, 0f, hidden, 3L * hidden));
            tensors.put(l + "attn.c_attn.bias", random(rnd, 0.02f, 0f, 3L * hidden));
            tensors.put(l + "attn.c_proj.weight", random(rnd, 0.04f, 0f, hidden, hidden));
            tensors.put(l + "attn.c_proj.bias", random(rnd, 0.02f, 0f, hidden));
            tensors.put(l + "ln_2.weight", random(rnd, 0.1f, 1f, hidden));
            tensors.put(l + "ln_2.bias", random(rnd, 0.02f, 0f, hidden));
            tensors.put(l + "mlp.c_fc.weight", random(rnd, 0.04f, 0f, hidden, 4L * hidden));
            tensors.put(l + "mlp.c_fc.bias", random(rnd, 0.02f, 0f, 4L * hidden));
            tensors.put(l + "mlp.c_proj.weight", random(rnd, 0.04f, 0f, 4L * hidden, hidden));
            tensors.put(l + "mlp.c_proj.bias", random(rnd, 0.02f, 0f, hidden));
        }
        tensors.put(p + "ln_f.weight", random(rnd, 0.1f, 1f, hidden));
        tensors.put(p + "ln_f.bias", random(rnd, 0.02f, 0f, hidden));
        SafetensorsWriter.writeRaw(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        return dir;
    }

    private static RawTensor random(SplittableRandom rnd, float halfWidth, float center, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(n * 4)).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer f = b.asFloatBuffer();
        for (long i = 0; i < n; i++) {
            f.put(center + (float) ((rnd.nextDouble() * 2 - 1) * halfWidth));
        }
        return new RawTensor(DType.F32, shape, b);
    }

    /** Runs {@code repeats} timed generations (after {@code warmup} untimed ones) on the named engine. */
    public static Result run(String engineName, Path modelDir, int promptLength, int newTokens, int warmup, int repeats, int threads) {
        return runInterleaved(List.of(engineName), modelDir, promptLength, newTokens, warmup, repeats, threads).get(0);
    }

    /**
     * Loads every named engine in this JVM and alternates their timed generations, so that load
     * from other processes on a shared machine hits each engine alike. RSS is the process's,
     * after all loads; run one engine per JVM for a per-engine memory figure.
     */
    public static List<Result> runInterleaved(List<String> engineNames, Path modelDir, int promptLength, int newTokens, int warmup,
            int repeats, int threads) {
        List<Bench> benches = new ArrayList<>();
        try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
            try {
                for (String name : engineNames) {
                    long before = rssMb("VmRSS:");
                    Bench b = new Bench(name, ckpt, threads, promptLength);
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
                    out.add(new Result(b.name, b.quantization.id(), b.loadMs, b.firstMs, median(ttft[e]), median(decode[e]),
                            median(total[e]), rss, rssFile, b.rssGrowthMb));
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

    /** One engine under test: its runtime, prompt, and (for onnx-lora) serving and adapters. */
    private static final class Bench implements AutoCloseable {
        final String name;
        final Quantization quantization;
        final DecoderRuntime rt;
        final double loadMs;
        final int[] prompt;
        final List<DecoderRuntime> targets = new ArrayList<>();
        final List<OnnxLoraServing.Adapter> adapters = new ArrayList<>();
        OnnxLoraServing serving;
        HookSet hooks = HookSet.EMPTY;
        double firstMs;
        long rssGrowthMb;

        Bench(String name, Checkpoint ckpt, int threads, int promptLength) {
            this.name = name;
            this.quantization = quantizationOf(name);
            String base = quantization == Quantization.NONE ? name : name.substring(0, name.length() - quantization.id().length() - 1);
            boolean fp16 = base.endsWith("-fp16");
            base = fp16 ? base.substring(0, base.length() - "-fp16".length()) : base;
            boolean lora = base.equals("onnx-lora");
            long t0 = System.nanoTime();
            this.rt = Engines.byName(lora ? "onnx" : base).load(ckpt, new EngineOptions("cpu", threads)
                    .withWeightDtype(fp16 ? "float16" : "auto").withQuantization(quantization, INT4_BLOCK));
            this.loadMs = (System.nanoTime() - t0) / 1e6;
            prompt = new int[promptLength];
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = rnd.nextInt(rt.config().vocabSize() - 1);
            }
            if (lora) {
                serving = loraServing((OnnxDecoderRuntime) rt, 8);
                hooks = serving.hooks();
                for (int a = 0; a < 2; a++) {
                    adapters.add(serving.load(loraAdapter((OnnxDecoderRuntime) rt, 8, 31 + a), "bench-adapter-" + a));
                    targets.add(serving.runtime(adapters.get(a)));
                }
            } else {
                targets.add(rt);
            }
        }

        /** The first (session-building) forward, timed separately from the steady state. */
        void first() {
            long f0 = System.nanoTime();
            OnnxVsPytorchBench.generate(targets.get(0), hooks, prompt, 2, null);
            firstMs = (System.nanoTime() - f0) / 1e6;
        }

        /** Request i; onnx-lora switches adapters every request. */
        void generate(int i, int newTokens, double[] times) {
            OnnxVsPytorchBench.generate(targets.get(i % targets.size()), hooks, prompt, newTokens, times);
        }

        @Override
        public void close() {
            adapters.forEach(OnnxLoraServing.Adapter::close);
            if (serving != null) {
                serving.close();
            }
            rt.close();
        }
    }

    /** Greedy generation through the runtime API; {@code times} receives TTFT and decode seconds. */
    private static void generate(DecoderRuntime rt, HookSet hooks, int[] prompt, int newTokens, double[] times) {
        try (KvCache cache = rt.newCache()) {
            long s = System.nanoTime();
            ForwardRequest first = ForwardRequest.start(new int[][] {prompt}, null, hooks, null, true);
            Logits logits = rt.forward(first, cache);
            int next = argmax(logits.row(0, logits.positions() - 1));
            long afterFirst = System.nanoTime();
            int[][] mask = {first.attentionMask()[0]};
            for (int i = 1; i < newTokens; i++) {
                mask[0] = Arrays.copyOf(mask[0], mask[0].length + 1);
                mask[0][mask[0].length - 1] = 1;
                logits = rt.forward(ForwardRequest.next(new int[] {next}, mask, hooks, null), cache);
                next = argmax(logits.row(0, 0));
            }
            if (times != null) {
                times[0] = (afterFirst - s) / 1e9;
                times[1] = (System.nanoTime() - afterFirst) / 1e9;
            }
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static List<LinearSite> attnSites(DecoderRuntime rt) {
        return rt.architecture().linearSites(rt.config()).stream().filter(s -> s.shortName().equals("c_attn")).toList();
    }

    /** A serving whose template puts {@code y + (x·Aᵀ)·Bᵀ} on every {@code c_attn}. */
    static OnnxLoraServing loraServing(OnnxDecoderRuntime rt, int maxRank) {
        HookSet.Builder b = HookSet.builder();
        Map<String, HostTensor> defaults = new LinkedHashMap<>();
        for (LinearSite s : attnSites(rt)) {
            String a = "lora.slot." + s.module() + ".A";
            String bk = "lora.slot." + s.module() + ".B";
            b.linear(s.module(), new ai.peft4j.api.model.LinearHook() {
                @Override
                public Tensor afterLinear(ai.peft4j.api.model.ForwardContext ctx, LinearSite site, Tensor x, Tensor y) {
                    Ops ops = ctx.ops();
                    return ops.add(y, ops.linear(ops.linear(x, ops.param(a), null), ops.param(bk), null));
                }
            });
            defaults.put(a, HostTensor.zeros(0, s.inFeatures()));
            defaults.put(bk, HostTensor.zeros(s.outFeatures(), 0));
        }
        return rt.loraServing(b.build(), defaults, maxRank);
    }

    static Map<String, HostTensor> loraAdapter(OnnxDecoderRuntime rt, int rank, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, HostTensor> p = new LinkedHashMap<>();
        for (LinearSite s : attnSites(rt)) {
            p.put("lora.slot." + s.module() + ".A", uniform(rnd, 0.05f, rank, s.inFeatures()));
            p.put("lora.slot." + s.module() + ".B", uniform(rnd, 0.05f, s.outFeatures(), rank));
        }
        return p;
    }

    private static HostTensor uniform(SplittableRandom rnd, float halfWidth, long... shape) {
        HostTensor t = HostTensor.zeros(shape);
        for (int i = 0; i < t.data().length; i++) {
            t.data()[i] = (float) ((rnd.nextDouble() * 2 - 1) * halfWidth);
        }
        return t;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** A resident-memory line of {@code /proc/self/status} in MB, or -1 where unavailable. */
    static long rssMb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Options: {@code --engines onnx,pytorch,onnx-lora,onnx-int4,onnx-int8}, {@code --model DIR} (an existing model; by
     * default a random GPT-2-small-shaped one is written to a temporary directory),
     * {@code --layers 12 --hidden 768 --heads 12 --vocab 50257}, {@code --prompt 128},
     * {@code --new-tokens 64}, {@code --warmup 1}, {@code --repeats 5}, {@code --threads 0}.
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new Peft4jException("unexpected argument '" + args[i] + "'; options are --name value pairs");
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        int prompt = Integer.parseInt(o.getOrDefault("prompt", "128"));
        int newTokens = Integer.parseInt(o.getOrDefault("new-tokens", "64"));
        Path model;
        if (o.containsKey("model")) {
            model = Path.of(o.get("model"));
            if (!Files.isRegularFile(model.resolve("model.safetensors"))) {
                long w0 = System.nanoTime();
                writeRandomGpt2(model, Integer.parseInt(o.getOrDefault("layers", "12")), Integer.parseInt(o.getOrDefault("hidden", "768")),
                        Integer.parseInt(o.getOrDefault("heads", "12")), Integer.parseInt(o.getOrDefault("vocab", "50257")), 1024, 1);
                System.out.printf(Locale.ROOT, "wrote a random model to %s in %.1f s%n", model, (System.nanoTime() - w0) / 1e9);
            }
        } else {
            model = writeRandomGpt2(Files.createTempDirectory("peft4j-bench"), Integer.parseInt(o.getOrDefault("layers", "12")),
                    Integer.parseInt(o.getOrDefault("hidden", "768")), Integer.parseInt(o.getOrDefault("heads", "12")),
                    Integer.parseInt(o.getOrDefault("vocab", "50257")), 1024, 1);
        }
        System.out.printf(Locale.ROOT, "batch 1, prompt %d tokens, %d new tokens, KV cache, threads %s%n", prompt, newTokens,
                o.getOrDefault("threads", "0 (engine default)"));
        List<String> engines = Arrays.stream(o.getOrDefault("engines", "onnx,pytorch").split(",")).map(String::trim).toList();
        for (Result r : runInterleaved(engines, model, prompt, newTokens, Integer.parseInt(o.getOrDefault("warmup", "1")),
                Integer.parseInt(o.getOrDefault("repeats", "5")), Integer.parseInt(o.getOrDefault("threads", "0")))) {
            System.out.println(r);
        }
    }
}
