package ai.peft4j.engine.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.AbstractParameterStore;
import ai.peft4j.api.engine.DecoderForward;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.quant.Quantization;
import ai.peft4j.api.quant.QuantizedWeight;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A decoder on ONNX Runtime. Each forward's structure (architecture, active hooks, whether soft
 * prompts apply, whether only the last position's logits are needed, whether rows mix adapters)
 * is traced once through {@link OnnxOps} into an ONNX graph; graphs with identical bytes share one
 * {@link OrtSession}, so the prompt and every decoding step usually run the same session.
 *
 * <p>Base weights are never copied into the Java heap: each is an initializer whose data ONNX
 * Runtime takes from the checkpoint's memory-mapped safetensors buffer
 * ({@code SessionOptions.addExternalInitializers}); FP16/BF16 weights are widened once to an
 * off-heap float32 buffer. With {@code weightDtype float16} every base weight is instead a float16
 * graph input over the held bytes (the mapped file for F16), widened by a {@code Cast} per use,
 * embeddings after the gather. With int8/int4 quantization the linear sites' weights are
 * quantized once on load and run on ONNX Runtime's {@code com.microsoft.MatMulNBits} from their
 * codes and scales ({@link OnnxQuantizedWeight}, {@link QuantizedMatmul}); no float32 copy of
 * them exists. Adapter parameters are graph inputs fed from the
 * {@link ParameterStore} at every run, so one session serves any adapter values. Merging
 * ({@link ParameterStore#replaceBase}) swaps an initializer and rebuilds the sessions.
 *
 * <p>Forwards may run concurrently; changing parameters waits for running forwards.
 *
 * <pre>{@code
 * try (Checkpoint ckpt = Checkpoint.open(dir);
 *      DecoderRuntime rt = Engines.byName("onnx").load(ckpt, new EngineOptions("cpu", 2))) {
 *   GenerationResult r = new Generator(rt, HookSet.EMPTY).generate(ids, null, GenerationConfig.builder().build());
 * }
 * }</pre>
 */
public final class OnnxDecoderRuntime implements DecoderRuntime {
    private final OnnxEngine engine;
    private final Checkpoint checkpoint;
    private final OrtEnvironment env;
    private final int threads;
    private final EngineOptions options;
    /** Linear sites' weight keys, mapped to whether the checkpoint stores them {@code [in, out]}. */
    private final Map<String, Boolean> linearWeights = new HashMap<>();
    /** Quantized linear weights (empty without quantization), made once on load. */
    private final Map<String, OnnxQuantizedWeight> quantized = new ConcurrentHashMap<>();
    private final QuantizedMatmul quantizedMatmul;
    /** Base weights held as float16 ({@code weightDtype float16}), fed as graph inputs and widened per use. */
    private final Map<String, ByteBuffer> half = new ConcurrentHashMap<>();
    private final Map<String, OnnxTensor> halfTensors = new ConcurrentHashMap<>();
    private final Store store;
    /** The forward sequence, traced as it comes. */
    private final DecoderForward forward;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<String, OnnxTensor> baseTensors = new ConcurrentHashMap<>();
    private final Map<HookSet, Map<Variant, Trace>> traces = Collections.synchronizedMap(new WeakHashMap<>());
    private final Map<String, OrtSession> sessions = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** The structural switches that, with the hooks, decide a traced graph. */
    record Variant(boolean startsSequence, boolean lastPositionOnly, boolean mixedRows) {}

    /**
     * A traced graph: its bytes, their fingerprint, and what it needs fed or injected.
     *
     * @param adapterInputs adapter parameter inputs and the shapes they were traced with
     * @param baseKeys base weights injected as float32 initializers
     * @param quantizedKeys quantized base weights, injected as their MatMulNBits codes and scales
     * @param halfKeys base weights held as float16, fed as inputs at every run
     */
    record Trace(String fingerprint, byte[] model, Map<String, long[]> adapterInputs, Set<String> rowSelectors,
            Set<String> baseKeys, Set<String> quantizedKeys, Set<String> halfKeys) {}

    OnnxDecoderRuntime(OnnxEngine engine, Checkpoint checkpoint, OrtEnvironment env, EngineOptions options) {
        this.engine = engine;
        this.checkpoint = checkpoint;
        this.store = new Store(checkpoint);
        this.forward = new DecoderForward(checkpoint.architecture(), checkpoint.config());
        this.env = env;
        this.options = options;
        this.threads = options.threads();
        options.checkEngineProperties(OnnxEngine.NAME, OnnxEngine.OPTIONS);
        this.quantizedMatmul = QuantizedMatmul.of(options);
        for (Path p : shardPaths(checkpoint)) {
            if (!Files.isRegularFile(p)) {
                throw new Peft4jException(p + ": the checkpoint's weight file is missing");
            }
        }
        for (LinearSite site : checkpoint.architecture().linearSites(checkpoint.config())) {
            linearWeights.put(site.weightKey(), site.inOutLayout());
        }
        int int8Block = Integer.parseInt(options.engineProperty(OnnxEngine.NAME, "int8_block_size", "0").trim());
        try {
            if (options.quantization() != Quantization.NONE) {
                // Quantize up front, as the PyTorch engine does: the first forward does not pay, and memory is known.
                linearWeights.entrySet().parallelStream().forEach(e -> quantized.put(e.getKey(), OnnxQuantizedWeight.of(
                        QuantizedWeight.fromCheckpoint(checkpoint, e.getKey(), e.getValue(), options.quantization(),
                                options.quantizationBlockSize()), e.getValue(), int8Block)));
            }
            if (options.weightDtype().equals("float16")) {
                checkpoint.keys().parallelStream().filter(k -> !quantized.containsKey(k)).forEach(k -> {
                    ByteBuffer h = OnnxHalfWeights.load(checkpoint, k);
                    if (h != null) {
                        half.put(k, h);
                    }
                });
            }
        } catch (OutOfMemoryError e) {
            // Codes and float16 copies live in direct buffers, capped by default at the heap size.
            if (String.valueOf(e.getMessage()).contains("direct buffer memory")) {
                quantized.clear();
                half.clear();
                throw new Peft4jException(checkpoint.directory() + ": the " + options.quantization().id() + "/" + options.weightDtype()
                        + " base weights need more direct memory than this JVM allows (" + e.getMessage() + "); raise "
                        + "-XX:MaxDirectMemorySize (the peft4j launcher sets it to the machine's memory)", e);
            }
            throw e;
        }
    }

    /** Bytes of base weights held as float16 (mapped or narrowed); 0 unless {@code weightDtype} is float16. */
    public long halfBytes() {
        return half.values().stream().mapToLong(ByteBuffer::capacity).sum();
    }

    /** The options this runtime was loaded with. */
    public EngineOptions options() {
        return options;
    }

    /** How quantized weights are multiplied ({@link QuantizedMatmul}, fixed when the runtime was loaded). */
    public QuantizedMatmul quantizedMatmul() {
        return quantizedMatmul;
    }

    /** Bytes of quantized base weights held off-heap (codes plus scales); 0 without quantization. */
    public long quantizedBytes() {
        return quantized.values().stream().mapToLong(OnnxQuantizedWeight::bytes).sum();
    }

    /** The quantized form of a base weight, or null when it is held in float. */
    OnnxQuantizedWeight quantizedWeight(String key) {
        return quantized.get(key);
    }

    private static Set<Path> shardPaths(Checkpoint c) {
        Set<Path> paths = new LinkedHashSet<>();
        for (String key : c.keys()) {
            paths.add(c.file(key).path());
        }
        return paths;
    }

    @Override
    public Engine engine() {
        return engine;
    }

    @Override
    public Checkpoint checkpoint() {
        return checkpoint;
    }

    @Override
    public String device() {
        return "cpu";
    }

    @Override
    public ParameterStore parameters() {
        return store;
    }

    OrtEnvironment environment() {
        return env;
    }

    @Override
    public KvCache newCache() {
        return new OnnxKvCache(env, config().numLayers());
    }

    // ---- forward ------------------------------------------------------------------------------

    @Override
    public Logits forward(ForwardRequest request, KvCache kvCache) {
        return forward(request, kvCache, null, null);
    }

    /**
     * Runs a forward on the session of {@code trace} (traced from the request when null) with the
     * given run options (per-run adapters), or none.
     */
    Logits forward(ForwardRequest request, KvCache kvCache, Trace given, OrtSession.RunOptions runOptions) {
        OnnxKvCache cache = request.validate(this, kvCache, OnnxKvCache.class);
        lock.readLock().lock();
        try {
            checkOpen();
            Trace trace = given != null ? given : trace(request.hooks(), new Variant(request.startsSequence(),
                    request.lastPositionOnly(), request.rowAdapters() != null));
            OrtSession session = session(trace);
            return run(session, trace, request, cache, runOptions);
        } finally {
            lock.readLock().unlock();
        }
    }

    private Logits run(OrtSession session, Trace trace, ForwardRequest req, OnnxKvCache cache, OrtSession.RunOptions options) {
        Map<String, OnnxTensor> feeds = new HashMap<>();
        List<OnnxTensor> temporary = new ArrayList<>();
        OrtSession.Result result = null;
        try {
            temporary.add(put(feeds, OnnxOps.INPUT_IDS, longTensor(req.inputIds())));
            temporary.add(put(feeds, OnnxOps.POSITION_IDS, longTensor(req.positionIds())));
            temporary.add(put(feeds, OnnxOps.ATTENTION_MASK, longTensor(req.attentionMask())));
            int layers = config().numLayers();
            if (cache == null || cache.isEmpty()) {
                OnnxTensor empty = OnnxTensor.createTensor(env, ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder()).asFloatBuffer(),
                        new long[] {req.batch(), config().numKvHeads(), 0, config().headDim()});
                temporary.add(empty);
                for (int i = 0; i < layers; i++) {
                    feeds.put(OnnxOps.pastKey(i), empty);
                    feeds.put(OnnxOps.pastValue(i), empty);
                }
            } else {
                for (int i = 0; i < layers; i++) {
                    feeds.put(OnnxOps.pastKey(i), cache.key(i));
                    feeds.put(OnnxOps.pastValue(i), cache.value(i));
                }
            }
            for (String key : trace.adapterInputs().keySet()) {
                feeds.put(key, store.tensor(key));
            }
            for (String key : trace.halfKeys()) {
                feeds.put(key, halfTensor(key));
            }
            for (String adapter : trace.rowSelectors()) {
                temporary.add(put(feeds, OnnxOps.rowSelectorInput(adapter), selector(req.rowAdapters(), adapter)));
            }
            result = options == null ? session.run(feeds) : session.run(feeds, options);
            OnnxTensor logits = (OnnxTensor) result.get(OnnxOps.LOGITS).orElseThrow();
            long[] shape = logits.getInfo().getShape();
            float[] data = new float[Math.toIntExact(shape[0] * shape[1] * shape[2])];
            logits.getFloatBuffer().get(data);
            if (cache != null) {
                cache.take(result);
                result = null;
            }
            return new Logits((int) shape[0], (int) shape[1], (int) shape[2], data);
        } catch (OrtException e) {
            throw new Peft4jException("onnx runtime failed on " + config().modelType() + ": " + e.getMessage(), e);
        } finally {
            if (result != null) {
                result.close();
            }
            temporary.forEach(OnnxTensor::close);
        }
    }

    private static OnnxTensor put(Map<String, OnnxTensor> feeds, String name, OnnxTensor t) {
        feeds.put(name, t);
        return t;
    }

    private OnnxTensor longTensor(int[][] a) throws OrtException {
        int rows = a.length;
        int cols = a[0].length;
        LongBuffer buf = ByteBuffer.allocateDirect(rows * cols * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
        for (int[] row : a) {
            for (int x : row) {
                buf.put(x);
            }
        }
        buf.rewind();
        return OnnxTensor.createTensor(env, buf, new long[] {rows, cols});
    }

    private OnnxTensor selector(String[] rowAdapters, String adapter) throws OrtException {
        FloatBuffer buf = ByteBuffer.allocateDirect(rowAdapters.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (String r : rowAdapters) {
            buf.put(adapter.equals(r) ? 1f : 0f);
        }
        buf.rewind();
        return OnnxTensor.createTensor(env, buf, new long[] {rowAdapters.length, 1, 1});
    }

    // ---- tracing and sessions -------------------------------------------------------------------

    /**
     * One session that serves many adapters per request through ONNX Runtime's native per-run
     * adapters; see {@link OnnxSharedGraphServing}.
     *
     * @param template the hooks of one adapter slot, traced once
     * @param defaults the default (no-op) value of every parameter adapters may override; a
     *     zero-size dimension is dynamic (the LoRA rank)
     * @param maxRank the largest dynamic dimension an adapter may bring, or 0 for no limit
     */
    public OnnxSharedGraphServing sharedGraphServing(HookSet template, Map<String, HostTensor> defaults, int maxRank) {
        checkOpen();
        return new OnnxSharedGraphServing(this, template, defaults, maxRank);
    }

    /** The number of live ONNX Runtime sessions (for tests and diagnostics). */
    public int sessionCount() {
        return sessions.size();
    }

    /** Whether a trace's adapter inputs still match the parameter store. */
    boolean isFresh(Trace t) {
        return store.matches(t.adapterInputs());
    }

    /** The trace for these hooks and switches, traced again when adapter parameters changed shape. */
    Trace trace(HookSet hooks, Variant variant) {
        Map<Variant, Trace> perHooks;
        synchronized (traces) {
            perHooks = traces.computeIfAbsent(hooks, h -> new ConcurrentHashMap<>());
        }
        Trace t = perHooks.get(variant);
        if (t == null || !store.matches(t.adapterInputs())) {
            t = traceGraph(hooks, variant, null);
            perHooks.put(variant, t);
        }
        return t;
    }

    /**
     * Traces the architecture with these hooks into a graph. Keys in {@code overridable} become
     * graph inputs that carry a default initializer (for ONNX Runtime's per-run adapters).
     */
    Trace traceGraph(HookSet hooks, Variant variant, Map<String, HostTensor> overridable) {
        return traceGraph(hooks, variant, overridable, null);
    }

    /** Where a base weight's bytes lie in a file next to an exported model. */
    record ExternalData(String location, long offset, long length) {}

    /** Puts base weights into files next to an exported model while a graph is traced. */
    interface Placement {
        /** A float32 base weight by checkpoint key. */
        ExternalData dense(String key);

        /** Bytes of a quantized weight's initializer (codes or scales), written as they are. */
        ExternalData raw(String initializer, ByteBuffer bytes);
    }

    /**
     * As {@link #traceGraph(HookSet, Variant, Map)}; with {@code placement}, base weights become
     * real external data where it puts them (export) instead of session-injected initializers.
     */
    Trace traceGraph(HookSet hooks, Variant variant, Map<String, HostTensor> overridable, Placement placement) {
        DecoderConfig cfg = config();
        GraphBuilder g = new GraphBuilder();
        Resolver resolver = new Resolver(overridable, placement);
        OnnxOps ops = new OnnxOps(g, resolver, cfg.numLayers(), cfg.numKvHeads(), cfg.headDim(), variant.mixedRows(),
                quantizedMatmul.accuracyLevel());
        ops.finish(forward.logits(new ForwardContext(ops, hooks, variant.startsSequence()), variant.lastPositionOnly()));
        ModelProto model = g.model();
        byte[] bytes = model.toByteArray();
        return new Trace(sha256(bytes), bytes, Collections.unmodifiableMap(resolver.adapterShapes),
                Collections.unmodifiableSet(new LinkedHashSet<>(ops.rowSelectors())), Collections.unmodifiableSet(resolver.baseKeys),
                Collections.unmodifiableSet(resolver.quantizedKeys), Collections.unmodifiableSet(resolver.halfKeys));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The session for a trace, built on first use and shared by every trace with the same bytes. */
    OrtSession session(Trace trace) {
        OrtSession s = sessions.get(trace.fingerprint());
        if (s != null) {
            return s;
        }
        synchronized (sessions) {
            s = sessions.get(trace.fingerprint());
            if (s == null) {
                s = buildSession(trace);
                sessions.put(trace.fingerprint(), s);
            }
            return s;
        }
    }

    private OrtSession buildSession(Trace trace) {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            if (threads > 0) {
                so.setIntraOpNumThreads(threads);
            }
            // Diagnostics: onnx.profile=PREFIX writes ORT's per-node JSON profile,
            // onnx.optimized_model=FILE the graph as ORT optimized it.
            String profile = options.engineProperty(OnnxEngine.NAME, "profile", null);
            if (profile != null) {
                so.enableProfiling(profile);
            }
            // onnx.session_config=key=value;key=value passes ORT session config entries.
            String config = options.engineProperty(OnnxEngine.NAME, "session_config", null);
            if (config != null) {
                for (String kv : config.split(";")) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) {
                        so.addConfigEntry(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
                    }
                }
            }
            String optimized = options.engineProperty(OnnxEngine.NAME, "optimized_model", null);
            if (optimized != null) {
                so.setOptimizedModelFilePath(optimized);
            }
            Map<String, OnnxTensorLike> injected = new LinkedHashMap<>();
            for (String key : trace.baseKeys()) {
                injected.put(key, baseTensor(key));
            }
            for (String key : trace.quantizedKeys()) {
                injected.put(OnnxOps.quantCodes(key), quantizedTensor(OnnxOps.quantCodes(key)));
                injected.put(OnnxOps.quantScales(key), quantizedTensor(OnnxOps.quantScales(key)));
            }
            if (!injected.isEmpty()) {
                so.addExternalInitializers(injected);
            }
            return env.createSession(trace.model(), so);
        } catch (OrtException e) {
            throw new Peft4jException("onnx runtime could not build a session for " + checkpoint.directory() + ": " + e.getMessage(), e);
        }
    }

    /** The tensor ONNX Runtime reads a base weight from: a merge override, else the mapped file. */
    private OnnxTensor baseTensor(String key) {
        return baseTensors.computeIfAbsent(key, k -> {
            HostTensor replaced = store.replacedValue(k);
            long[] shape = checkpoint.info(k).shape();
            try {
                if (replaced != null) {
                    return OnnxTensor.createTensor(env, direct(replaced.data()), shape);
                }
                ByteBuffer fp32 = checkpoint.float32(k).order(ByteOrder.LITTLE_ENDIAN);
                return OnnxTensor.createTensor(env, fp32.asFloatBuffer(), shape);
            } catch (OrtException | RuntimeException e) {
                throw new Peft4jException(checkpoint.directory() + ": cannot hand base weight '" + k + "' to onnx runtime: "
                        + e.getMessage(), e);
            }
        });
    }

    /**
     * A quantized weight's codes or scales as ONNX Runtime reads them: the off-heap buffer itself,
     * shared by every session (each still prepacks its own copy for the kernel).
     */
    private OnnxTensor quantizedTensor(String initializer) {
        return baseTensors.computeIfAbsent(initializer, name -> {
            boolean codes = name.endsWith(OnnxOps.quantCodes(""));
            String key = name.substring(0, name.length() - (codes ? OnnxOps.quantCodes("") : OnnxOps.quantScales("")).length());
            OnnxQuantizedWeight w = quantized.get(key);
            try {
                return codes ? OnnxTensor.createTensor(env, w.codeBuffer(), w.codeShape(), OnnxJavaType.UINT8)
                        : OnnxTensor.createTensor(env, w.scaleFloats(), w.scaleShape());
            } catch (OrtException | RuntimeException e) {
                throw new Peft4jException(checkpoint.directory() + ": cannot hand quantized weight '" + key + "' to onnx runtime: "
                        + e.getMessage(), e);
            }
        });
    }

    /**
     * A float16 base weight as ONNX Runtime reads it, over the held bytes (no copy). It is a graph
     * input, not an initializer: ONNX Runtime would fold an initializer's Cast into a float32
     * copy at session start, which is what holding float16 avoids.
     */
    private OnnxTensor halfTensor(String key) {
        return halfTensors.computeIfAbsent(key, k -> {
            if (store.isBaseReplaced(k)) {
                throw new Peft4jException("base weight '" + k + "' was replaced while a graph still reads its float16 form");
            }
            try {
                return OnnxTensor.createTensor(env, half.get(k).duplicate().order(ByteOrder.LITTLE_ENDIAN).rewind(),
                        checkpoint.info(k).shape(), OnnxJavaType.FLOAT16);
            } catch (OrtException | RuntimeException e) {
                throw new Peft4jException(checkpoint.directory() + ": cannot hand float16 base weight '" + k + "' to onnx runtime: "
                        + e.getMessage(), e);
            }
        });
    }

    static FloatBuffer direct(float[] data) {
        FloatBuffer buf = ByteBuffer.allocateDirect(data.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        buf.put(data).rewind();
        return buf;
    }

    /** Drops every session (and the injected tensor of {@code key}); called under the write lock. */
    private void invalidate(String key) {
        sessions.values().forEach(OnnxDecoderRuntime::closeQuietly);
        sessions.clear();
        if (half.containsKey(key)) {
            // traces declared the weight a float16 input; a replacement is float32
            traces.clear();
        }
        OnnxTensor old = baseTensors.remove(key);
        if (old != null) {
            old.close();
        }
    }

    private static void closeQuietly(OrtSession s) {
        try {
            s.close();
        } catch (OrtException ignored) {
            // the session is being discarded; nothing to recover
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new Peft4jException("the onnx runtime is closed");
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (options.engineProperty(OnnxEngine.NAME, "profile", null) != null) {
                for (OrtSession s : sessions.values()) {
                    try {
                        s.endProfiling();
                    } catch (OrtException ignored) {
                        // diagnostics only
                    }
                }
            }
            sessions.values().forEach(OnnxDecoderRuntime::closeQuietly);
            sessions.clear();
            baseTensors.values().forEach(OnnxTensor::close);
            baseTensors.clear();
            halfTensors.values().forEach(OnnxTensor::close);
            halfTensors.clear();
            store.closeTensors();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Declares parameters on first use: injected base initializers, adapter inputs, overridable defaults. */
    private final class Resolver implements OnnxOps.ParamResolver {
        private final Map<String, HostTensor> overridable;
        final Map<String, long[]> adapterShapes = new LinkedHashMap<>();
        final Set<String> baseKeys = new LinkedHashSet<>();
        final Set<String> quantizedKeys = new LinkedHashSet<>();
        final Set<String> halfKeys = new LinkedHashSet<>();
        private final Map<String, long[]> shapes = new HashMap<>();
        private final Placement placement;

        Resolver(Map<String, HostTensor> overridable, Placement placement) {
            this.overridable = overridable;
            this.placement = placement;
        }

        @Override
        public GraphValue resolve(String key, GraphBuilder g) {
            if (overridable != null && overridable.containsKey(key)) {
                HostTensor def = overridable.get(key);
                long[] dims = def.shape();
                Object[] declared = new Object[dims.length];
                long[] known = new long[dims.length];
                for (int i = 0; i < dims.length; i++) {
                    // A zero-size default dimension (a LoRA rank) is dynamic: adapters bring their own.
                    declared[i] = dims[i] == 0 ? key + ".dim" + i : (Object) dims[i];
                    known[i] = dims[i] == 0 ? -1 : dims[i];
                }
                g.floatInitializer(key, dims, def.data());
                g.input(key, GraphBuilder.FLOAT, declared);
                shapes.put(key, known);
                return new GraphValue(key);
            }
            HostTensor adapter = store.adapterValue(key);
            if (adapter != null) {
                long[] dims = adapter.shape();
                Object[] declared = new Object[dims.length];
                for (int i = 0; i < dims.length; i++) {
                    declared[i] = dims[i];
                }
                g.input(key, GraphBuilder.FLOAT, declared);
                adapterShapes.put(key, dims);
                shapes.put(key, dims);
                return new GraphValue(key);
            }
            OnnxQuantizedWeight q = quantized.get(key);
            if (q != null) {
                declareQuantized(g, OnnxOps.quantCodes(key), GraphBuilder.UINT8, q.codeShape(), q.codes());
                declareQuantized(g, OnnxOps.quantScales(key), GraphBuilder.FLOAT, q.scaleShape(), q.scales());
                quantizedKeys.add(key);
                shapes.put(key, checkpoint.info(key).shape());
                // A placeholder: OnnxOps routes it to MatMulNBits and refuses any other use.
                return new GraphValue(key);
            }
            if (placement == null && half.containsKey(key) && !store.isBaseReplaced(key)) {
                long[] dims = checkpoint.info(key).shape();
                Object[] declared = new Object[dims.length];
                for (int i = 0; i < dims.length; i++) {
                    declared[i] = dims[i];
                }
                g.input(key, GraphBuilder.FLOAT16, declared);
                halfKeys.add(key);
                shapes.put(key, dims);
                return new GraphValue(key);
            }
            if (checkpoint.contains(key)) {
                long[] dims = checkpoint.info(key).shape();
                if (placement == null) {
                    g.injectedInitializer(key, dims);
                } else {
                    ExternalData x = placement.dense(key);
                    g.externalInitializer(key, dims, x.location(), x.offset(), x.length());
                }
                baseKeys.add(key);
                shapes.put(key, dims);
                return new GraphValue(key);
            }
            throw new Peft4jException("no parameter '" + key + "': neither a base weight of " + checkpoint.directory()
                    + " nor an adapter parameter in the runtime's parameter store");
        }

        private void declareQuantized(GraphBuilder g, String name, int type, long[] dims, ByteBuffer bytes) {
            if (placement == null) {
                g.injectedInitializer(name, type, dims);
            } else {
                ExternalData x = placement.raw(name, bytes);
                g.externalInitializer(name, type, dims, x.location(), x.offset(), x.length());
            }
        }

        @Override
        public boolean half(String key) {
            return halfKeys.contains(key);
        }

        @Override
        public OnnxQuantizedWeight quantized(String key) {
            return quantizedKeys.contains(key) ? quantized.get(key) : null;
        }

        @Override
        public boolean has(String key) {
            return (overridable != null && overridable.containsKey(key)) || store.contains(key);
        }

        @Override
        public long[] shape(String key) {
            return shapes.get(key);
        }
    }

    /** Adapter tensors on the host (fed as inputs) and merge overrides (injected as initializers). */
    private final class Store extends AbstractParameterStore<HostTensor> {
        private final Map<String, OnnxTensor> fed = new ConcurrentHashMap<>();

        Store(Checkpoint checkpoint) {
            super(checkpoint);
        }

        /** Whether every traced adapter input still exists with the traced shape. */
        boolean matches(Map<String, long[]> traced) {
            for (Map.Entry<String, long[]> e : traced.entrySet()) {
                HostTensor t = adapterValue(e.getKey());
                if (t == null || !Arrays.equals(t.shape(), e.getValue())) {
                    return false;
                }
            }
            return true;
        }

        OnnxTensor tensor(String key) {
            return fed.computeIfAbsent(key, k -> {
                HostTensor t = adapterValue(k);
                if (t == null) {
                    throw new Peft4jException("adapter parameter '" + k + "' was removed while a graph still uses it");
                }
                try {
                    return OnnxTensor.createTensor(env, direct(t.data()), t.shape());
                } catch (OrtException e) {
                    throw new Peft4jException("cannot hand adapter parameter '" + k + "' to onnx runtime: " + e.getMessage(), e);
                }
            });
        }

        void closeTensors() {
            fed.values().forEach(OnnxTensor::close);
            fed.clear();
        }

        @Override
        protected HostTensor upload(String key, HostTensor value) {
            return value.copy();
        }

        /** A quantized weight reads back as the kernel sees it (dequantized), as on the PyTorch engine. */
        @Override
        protected HostTensor readBase(String key) {
            OnnxQuantizedWeight q = quantized.get(key);
            if (q != null) {
                return q.dequantizedInCheckpointLayout();
            }
            ByteBuffer h = half.get(key);
            return h == null ? super.readBase(key) : new HostTensor(checkpoint.info(key).shape(), OnnxHalfWeights.widen(h));
        }

        @Override
        public void replaceBase(String key, HostTensor value) {
            if (quantized.containsKey(key)) {
                throw new Peft4jException("base weight '" + key + "' is held " + options.quantization().id() + "-quantized: "
                        + "merging into it would round the change into its codes, so it is refused; load the base with "
                        + "quantization none to merge (adapter files made on a quantized base load on any base)");
            }
            super.replaceBase(key, value);
        }

        @Override
        protected HostTensor download(String key, HostTensor value) {
            return value.copy();
        }

        @Override
        protected void adapterChanged(String key) {
            OnnxTensor old = fed.remove(key);
            if (old != null) {
                old.close();
            }
        }

        @Override
        protected void baseChanged(String key) {
            invalidate(key);
        }

        @Override
        protected void exclusively(Runnable change) {
            lock.writeLock().lock();
            try {
                change.run();
            } finally {
                lock.writeLock().unlock();
            }
        }
    }
}
