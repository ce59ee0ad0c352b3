package ai.peft4j.lora;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.method.SharedGraphAdapter;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.LinearHook;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.Tensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One named LoRA adapter: a pair A {@code [r, in]}, B {@code [out, r]} per targeted linear site,
 * held in the runtime's {@link ParameterStore}. Its hook adds
 * {@code scale · B(A(dropout(x)))} to the site's output, computed as two thin matmuls (never
 * B·A); merging folds {@code scale · B·A} into the base weight, transposed for GPT-2's
 * {@code [in, out]} Conv1D layout ({@code fan_in_fan_out}).
 *
 * <p>As a {@link SharedGraphAdapter} it is the template for serving LoRA adapters of the same
 * (or a subset of its) targets from one graph: the ranks are dynamic (no-op value rank 0) and
 * each site's scale is folded into the served adapter's B.
 *
 * <pre>{@code
 * Adapter lora = new LoraMethod().create("default", LoraConfig.builder().r(8).build(), context);
 * lora.merge(store, true);
 * }</pre>
 */
public final class LoraAdapter implements SharedGraphAdapter {
    private final String name;
    private final LoraConfig config;
    private final List<Layer> layers;
    private final Map<String, String> stateKeys;
    private final Map<String, long[]> stateShapes;

    /**
     * One adapted site.
     *
     * @param aKey parameter-store key of A {@code [r, in]}
     * @param bKey parameter-store key of B {@code [out, r]}
     */
    public record Layer(LinearSite site, int r, double alpha, double scale, String aKey, String bKey) {
        /** PEFT's file key of A: {@code base_model.model.<module>.lora_A.weight}. */
        public String fileKeyA() {
            return "base_model.model." + site.module() + ".lora_A.weight";
        }

        public String fileKeyB() {
            return "base_model.model." + site.module() + ".lora_B.weight";
        }
    }

    LoraAdapter(String name, LoraConfig config, List<Layer> layers) {
        this.name = name;
        this.config = config;
        this.layers = List.copyOf(layers);
        Map<String, String> keys = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Layer l : layers) {
            keys.put(l.fileKeyA(), l.aKey());
            keys.put(l.fileKeyB(), l.bKey());
            shapes.put(l.fileKeyA(), new long[] {l.r(), l.site().inFeatures()});
            shapes.put(l.fileKeyB(), new long[] {l.site().outFeatures(), l.r()});
        }
        this.stateKeys = Collections.unmodifiableMap(keys);
        this.stateShapes = Collections.unmodifiableMap(shapes);
    }

    @Override
    public String name() {
        return name;
    }

    /** The resolved config: concrete target list, {@code fan_in_fan_out} as applied, base model name. */
    @Override
    public LoraConfig config() {
        return config;
    }

    /** The adapted sites in forward order. */
    public List<Layer> layers() {
        return layers;
    }

    @Override
    public Map<String, String> stateKeys() {
        return stateKeys;
    }

    @Override
    public Map<String, long[]> stateShapes() {
        Map<String, long[]> copy = new LinkedHashMap<>();
        stateShapes.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    @Override
    public void addHooks(HookSet.Builder hooks, boolean perRow) {
        double dropout = config.loraDropout();
        for (Layer l : layers) {
            hooks.linear(l.site().module(), new LoraHook(name, l.aKey(), l.bKey(), l.scale(), dropout, perRow));
        }
    }

    /** y + scale · B(A(dropout(x))), optionally only on this adapter's rows. Symbolic-safe: no value reads. */
    private record LoraHook(String adapter, String aKey, String bKey, double scale, double dropout, boolean perRow)
            implements LinearHook {
        @Override
        public Tensor afterLinear(ForwardContext ctx, LinearSite site, Tensor input, Tensor output) {
            Ops ops = ctx.ops();
            Tensor x = dropout > 0 ? ops.dropout(input, dropout) : input;
            Tensor delta = ops.linear(ops.linear(x, ops.param(aKey), null), ops.param(bKey), null);
            if (scale != 1.0) {
                delta = ops.scale(delta, scale);
            }
            if (perRow) {
                Tensor rows = ops.rowSelector(adapter);
                if (rows != null) {
                    delta = ops.mul(delta, rows);
                }
            }
            return ops.add(output, delta);
        }
    }

    // ---- serving from a shared graph ----------------------------------------------------------

    /** A {@code [0, in]}, B {@code [out, 0]}: the delta of a rank-0 adapter is zero. */
    @Override
    public Map<String, HostTensor> noOpParameters() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Layer l : layers) {
            out.put(l.aKey(), HostTensor.zeros(0, l.site().inFeatures()));
            out.put(l.bKey(), HostTensor.zeros(l.site().outFeatures(), 0));
        }
        return out;
    }

    /**
     * The other LoRA adapter's A and B on this template's keys, site by site; B is scaled by
     * {@code other scale / template scale} of that site (scales are per site under
     * {@code rank_pattern}, {@code alpha_pattern} and rsLoRA). Sites the other adapter does not
     * target stay no-ops; a site this template lacks is an error.
     */
    @Override
    public Map<String, HostTensor> parametersOf(Adapter adapter, ParameterStore store) {
        if (!(adapter instanceof LoraAdapter other)) {
            throw new Peft4jException("adapter '" + adapter.name() + "' (" + adapter.config().peftType()
                    + ") cannot be served by the LoRA template '" + name + "'");
        }
        Map<String, Layer> mine = new LinkedHashMap<>();
        layers.forEach(l -> mine.put(l.site().module(), l));
        TreeSet<String> extra = new TreeSet<>();
        for (Layer l : other.layers) {
            if (!mine.containsKey(l.site().module())) {
                extra.add(l.site().module());
            }
        }
        if (!extra.isEmpty()) {
            throw new Peft4jException("LoRA adapter '" + other.name + "' targets modules the template '" + name
                    + "' does not: " + extra + "; serve adapters whose targets are the template's or a subset");
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Layer l : other.layers) {
            Layer t = mine.get(l.site().module());
            if (t.scale() == 0) {
                throw new Peft4jException("LoRA template '" + name + "' has scale 0 at " + t.site().module()
                        + " (lora_alpha 0), so no adapter can be folded into it");
            }
            HostTensor b = store.get(l.bKey());
            float[] d = b.data();
            double ratio = l.scale() / t.scale();
            if (ratio != 1.0) {
                for (int i = 0; i < d.length; i++) {
                    d[i] = (float) (d[i] * ratio);
                }
            }
            out.put(t.aKey(), store.get(l.aKey()));
            out.put(t.bKey(), new HostTensor(b.shape(), d));
        }
        return out;
    }

    // ---- merging -------------------------------------------------------------------------------

    @Override
    public boolean canMerge() {
        return true;
    }

    /**
     * Adds {@code scale · B·A} to every targeted base weight. In safe mode every merged weight is
     * computed and checked for NaN/Inf before any base weight changes, so a broken adapter leaves
     * the base untouched (PEFT's {@code safe_merge}, made all-or-nothing).
     */
    @Override
    public void merge(ParameterStore store, boolean safe) {
        if (safe) {
            for (Layer l : layers) {
                float[] merged = mergedWeight(store, l);
                for (float v : merged) {
                    if (!Float.isFinite(v)) {
                        throw new Peft4jException("adapter '" + name + "': merging into " + l.site().module()
                                + " gives NaN/Inf values; the adapter seems broken. Base weights left untouched");
                    }
                }
            }
        }
        for (Layer l : layers) {
            store.replaceBase(l.site().weightKey(), new HostTensor(l.site().weightShape(), mergedWeight(store, l)));
        }
    }

    /**
     * Subtracts this adapter's delta, as PEFT does. Where it was the last merge into a weight that
     * was the checkpoint's, {@code PeftModel}'s merge bookkeeping restores the checkpoint's values
     * exactly instead (see {@link Adapter#unmerge}).
     */
    @Override
    public void unmerge(ParameterStore store) {
        for (Layer l : layers) {
            String w = l.site().weightKey();
            HostTensor current = store.get(w);
            float[] d = delta(store, l);
            float[] v = current.data();
            for (int i = 0; i < v.length; i++) {
                v[i] -= d[i];
            }
            store.replaceBase(w, new HostTensor(current.shape(), v));
        }
    }

    private float[] mergedWeight(ParameterStore store, Layer l) {
        float[] base = store.get(l.site().weightKey()).data();
        float[] d = delta(store, l);
        for (int i = 0; i < base.length; i++) {
            base[i] += d[i];
        }
        return base;
    }

    /** {@code scale · B·A} in the base weight's stored layout. */
    float[] delta(ParameterStore store, Layer l) {
        return delta(store.get(l.aKey()).data(), store.get(l.bKey()).data(), l.r(), l.site().inFeatures(),
                l.site().outFeatures(), l.scale(), l.site().inOutLayout());
    }

    /**
     * {@code scale · B·A} with A {@code [r, in]} and B {@code [out, r]}, as {@code [out, in]} or,
     * when {@code inOut} (fan_in_fan_out), its transpose {@code [in, out]}.
     */
    static float[] delta(float[] a, float[] b, int r, int in, int out, double scale, boolean inOut) {
        float[] d = new float[out * in];
        double[] row = new double[in];
        for (int o = 0; o < out; o++) {
            Arrays.fill(row, 0);
            for (int k = 0; k < r; k++) {
                double bk = b[o * r + k];
                int aOff = k * in;
                for (int i = 0; i < in; i++) {
                    row[i] += bk * a[aOff + i];
                }
            }
            if (inOut) {
                for (int i = 0; i < in; i++) {
                    d[i * out + o] = (float) (row[i] * scale);
                }
            } else {
                for (int i = 0; i < in; i++) {
                    d[o * in + i] = (float) (row[i] * scale);
                }
            }
        }
        return d;
    }

    @Override
    public String toString() {
        return "LoraAdapter[" + name + ", " + layers.size() + " layers, r=" + config.r() + "]";
    }
}
