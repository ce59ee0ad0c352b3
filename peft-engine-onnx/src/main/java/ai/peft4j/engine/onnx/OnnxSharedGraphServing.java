package ai.peft4j.engine.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoraAdapter;
import ai.onnxruntime.OrtSession;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.serving.ServedAdapter;
import ai.peft4j.api.serving.SharedGraphServing;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-request adapters on one ONNX Runtime session, through ONNX Runtime's native per-run adapter
 * support ({@code OrtLoraAdapter}, which sets any named graph inputs, whatever the method): the
 * onnx engine's {@link SharedGraphServing}.
 *
 * <p>The decoder is traced once with a <em>template</em> hook set (for LoRA: the hooks of one
 * adapter slot). Every parameter the template reads whose key is in {@code defaults} becomes an
 * optional graph input with that default as its initializer; a zero-size default dimension (the
 * LoRA rank) is dynamic. The defaults should make the hooks a no-op (LoRA: {@code A [0, in]},
 * {@code B [out, 0]}), so running without an adapter gives the base model. An adapter is an
 * {@code .onnx_adapter} file ({@link OnnxAdapterFile}) holding values for those inputs; it is
 * activated per run with {@code RunOptions.addActiveLoraAdapter}, so switching adapters between
 * requests costs no session rebuild and requests with different adapters may run concurrently.
 *
 * <p>Constants the template bakes in at trace time (a LoRA hook's {@code alpha / r}) are shared
 * by every adapter: trace the template with scale 1 and fold each adapter's scaling into its B
 * tensor when writing its file. Rows of one run share one adapter; for mixed-adapter batches use
 * the runtime's {@code rowAdapters} path instead.
 *
 * <p>The usual way in is engine-agnostic, {@link ai.peft4j.api.serving.AdapterServing#of}: every
 * adapter of a model on the onnx engine, the first one's hooks as the template (its method must
 * implement {@link ai.peft4j.api.method.SharedGraphAdapter}, as LoRA does). Lower level, with
 * hand-made hooks and defaults:
 *
 * <pre>{@code
 * OnnxDecoderRuntime rt = (OnnxDecoderRuntime) Engines.byName("onnx").load(ckpt, EngineOptions.defaults());
 * Map<String, HostTensor> defaults = Map.of("lora.slot.model.layers.0.self_attn.q_proj.A", HostTensor.zeros(0, 64),
 *                                           "lora.slot.model.layers.0.self_attn.q_proj.B", HostTensor.zeros(64, 0));
 * try (OnnxSharedGraphServing serving = rt.sharedGraphServing(templateHooks, defaults, 64);
 *      OnnxSharedGraphServing.Adapter a = serving.load(dir.resolve("summarize.onnx_adapter"))) {
 *   GenerationResult r = new Generator(serving.runtime(a), templateHooks).generate(ids, null, config);
 *   GenerationResult base = new Generator(serving.runtime(null), templateHooks).generate(ids, null, config);
 * }
 * }</pre>
 */
public final class OnnxSharedGraphServing implements SharedGraphServing {
    private final OnnxDecoderRuntime runtime;
    private final HookSet template;
    private final Map<String, HostTensor> defaults;
    private final int maxDynamicDim;
    private final Map<OnnxDecoderRuntime.Variant, OnnxDecoderRuntime.Trace> traces = new ConcurrentHashMap<>();

    OnnxSharedGraphServing(OnnxDecoderRuntime runtime, HookSet template, Map<String, HostTensor> defaults, int maxDynamicDim) {
        if (defaults.isEmpty()) {
            throw new Peft4jException("adapter serving needs at least one overridable parameter");
        }
        if (maxDynamicDim < 0) {
            throw new Peft4jException("the maximum adapter rank must be 0 (unlimited) or positive, got " + maxDynamicDim);
        }
        this.runtime = runtime;
        this.template = template == null ? HookSet.EMPTY : template;
        Map<String, HostTensor> copy = new LinkedHashMap<>();
        defaults.forEach((k, v) -> copy.put(k, v.copy()));
        this.defaults = Collections.unmodifiableMap(copy);
        this.maxDynamicDim = maxDynamicDim;
    }

    /** Writes {@code dir/<name>.onnx_adapter} (atomically) with the parameters as they are (scale 1). */
    @Override
    public Path writeAdapterFile(Path dir, String name, Map<String, HostTensor> parameters) {
        Path f = dir.resolve(name + OnnxAdapterFile.EXTENSION);
        OnnxAdapterFile.write(f, parameters, 1, 0);
        return f;
    }

    /** The default (no-op) value of every adapter input. */
    Map<String, HostTensor> defaults() {
        return defaults;
    }

    /** The names adapters may set (graph inputs with default initializers). */
    @Override
    public Set<String> parameterNames() {
        return Collections.unmodifiableSet(new TreeSet<>(defaults.keySet()));
    }

    /** The template hooks; pass them to the generator with every view of this serving. */
    @Override
    public HookSet hooks() {
        return template;
    }

    /** Checks adapter parameters against the graph: known names, fixed dimensions, rank limit. */
    @Override
    public void validate(Map<String, HostTensor> parameters, String source) {
        for (Map.Entry<String, HostTensor> e : parameters.entrySet()) {
            HostTensor def = defaults.get(e.getKey());
            if (def == null) {
                throw new Peft4jException(source + ": adapter parameter '" + e.getKey() + "' does not exist in the graph; "
                        + "the graph's adapter inputs are: " + abbreviate(parameterNames()));
            }
            long[] want = def.shape();
            long[] got = e.getValue().shape();
            if (want.length != got.length) {
                throw new Peft4jException(source + ": adapter parameter '" + e.getKey() + "' has rank " + got.length
                        + " but the graph expects " + want.length + " dimensions " + Arrays.toString(want));
            }
            for (int i = 0; i < want.length; i++) {
                if (want[i] != 0 && want[i] != got[i]) {
                    throw new Peft4jException(source + ": adapter parameter '" + e.getKey() + "' has shape " + Arrays.toString(got)
                            + " but the graph fixes dimension " + i + " to " + want[i]);
                }
                if (want[i] == 0 && maxDynamicDim > 0 && got[i] > maxDynamicDim) {
                    throw new Peft4jException(source + ": adapter parameter '" + e.getKey() + "' has rank " + got[i]
                            + ", larger than the " + maxDynamicDim + " this serving allows");
                }
            }
        }
    }

    private static String abbreviate(Set<String> names) {
        String all = String.join(", ", names);
        return all.length() <= 400 ? all : all.substring(0, 400) + ", ... (" + names.size() + " in all)";
    }

    /** Loads and validates an {@code .onnx_adapter} file. */
    @Override
    public Adapter load(Path file) {
        OnnxAdapterFile.Contents contents = OnnxAdapterFile.read(file);
        validate(contents.parameters(), file.toString());
        try {
            return new Adapter(OrtLoraAdapter.create(file.toAbsolutePath().toString()), file.toString());
        } catch (OrtException e) {
            throw new Peft4jException(file + ": onnx runtime cannot load the adapter: " + e.getMessage(), e);
        }
    }

    /** Builds an adapter in memory from parameters keyed by {@link #parameterNames()}. */
    @Override
    public Adapter load(Map<String, HostTensor> parameters, String name) {
        validate(parameters, name);
        try {
            return new Adapter(OrtLoraAdapter.create(OnnxAdapterFile.toBytes(parameters, 1, 0)), name);
        } catch (OrtException e) {
            throw new Peft4jException(name + ": onnx runtime cannot load the adapter: " + e.getMessage(), e);
        }
    }

    /** A forward with {@code adapter} (loaded by this serving) active, or the defaults (base) when null. */
    @Override
    public Logits forward(ForwardRequest request, KvCache cache, ServedAdapter served) {
        Adapter adapter = own(served);
        if (request.hooks().prefixLength() != template.prefixLength()) {
            throw new Peft4jException("the request's hooks prepend " + request.hooks().prefixLength()
                    + " positions but the serving template prepends " + template.prefixLength()
                    + "; pass serving.hooks() to the generator");
        }
        OnnxDecoderRuntime.Variant v = new OnnxDecoderRuntime.Variant(request.startsSequence(), request.lastPositionOnly(),
                request.rowAdapters() != null);
        OnnxDecoderRuntime.Trace t = traces.get(v);
        if (t == null || !runtime.isFresh(t)) {
            t = runtime.traceGraph(template, v, defaults);
            traces.put(v, t);
        }
        try (OrtSession.RunOptions options = new OrtSession.RunOptions()) {
            if (adapter != null) {
                options.addActiveLoraAdapter(adapter.handle());
            }
            return runtime.forward(request, cache, t, options);
        } catch (OrtException e) {
            throw new Peft4jException("onnx runtime run options failed: " + e.getMessage(), e);
        } catch (Peft4jException e) {
            if (adapter != null) {
                throw new Peft4jException("with adapter " + adapter.name() + ": " + e.getMessage()
                        + " (do the adapter's tensors agree with each other, e.g. the same rank in A and B?)", e);
            }
            throw e;
        }
    }

    /**
     * A {@link DecoderRuntime} view whose forwards run with {@code adapter} active (base when
     * null), for the engine-agnostic generator. It shares the runtime; closing it does nothing.
     */
    @Override
    public DecoderRuntime runtime(ServedAdapter adapter) {
        return new View(own(adapter));
    }

    private static Adapter own(ServedAdapter adapter) {
        if (adapter == null || adapter instanceof Adapter) {
            return (Adapter) adapter;
        }
        throw new Peft4jException("adapter " + adapter.name() + " was not loaded by an onnx serving ("
                + adapter.getClass().getName() + ")");
    }

    /** Drops the traced graphs; adapters loaded from it are closed by their owners. */
    @Override
    public void close() {
        traces.clear();
    }

    /** An adapter loaded into ONNX Runtime; close it when no run uses it any more. */
    public static final class Adapter implements ServedAdapter {
        private final OrtLoraAdapter handle;
        private final String name;

        Adapter(OrtLoraAdapter handle, String name) {
            this.handle = handle;
            this.name = name;
        }

        OrtLoraAdapter handle() {
            return handle;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void close() {
            handle.close();
        }
    }

    private final class View implements DecoderRuntime {
        private final Adapter adapter;

        View(Adapter adapter) {
            this.adapter = adapter;
        }

        @Override
        public Engine engine() {
            return runtime.engine();
        }

        @Override
        public Checkpoint checkpoint() {
            return runtime.checkpoint();
        }

        @Override
        public String device() {
            return runtime.device();
        }

        @Override
        public ParameterStore parameters() {
            return runtime.parameters();
        }

        @Override
        public KvCache newCache() {
            return runtime.newCache();
        }

        @Override
        public Logits forward(ForwardRequest request, KvCache cache) {
            return OnnxSharedGraphServing.this.forward(request, cache, adapter);
        }

        @Override
        public void close() {
            // a view owns nothing
        }
    }
}
