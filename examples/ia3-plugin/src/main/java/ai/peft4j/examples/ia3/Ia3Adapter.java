package ai.peft4j.examples.ia3;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.LinearHook;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One named (IA)³ adapter: a learned vector {@code l} per targeted linear site. A feed-forward
 * site scales its input ({@code x ⊙ l}, PEFT shape {@code [1, in]}); any other site scales its
 * output ({@code y ⊙ l}, PEFT shape {@code [out, 1]}, held in the store as {@code [1, out]} so it
 * broadcasts over {@code [b, s, out]}). Merging scales the base weight along the same axis (and the
 * bias, for output scaling), as PEFT does.
 *
 * <pre>{@code
 * Adapter ia3 = new Ia3Method().create("default", Ia3Config.builder().build(), context);
 * ia3.merge(store, true);
 * }</pre>
 */
public final class Ia3Adapter implements Adapter {
    private final String name;
    private final Ia3Config config;
    private final List<Layer> layers;

    /**
     * One adapted site.
     *
     * @param feedforward true to scale the input, false to scale the output
     * @param key the parameter-store key of the vector
     */
    public record Layer(LinearSite site, boolean feedforward, String key) {
        /** PEFT's file key: {@code base_model.model.<module>.ia3_l.weight}. */
        public String fileKey() {
            return "base_model.model." + site.module() + ".ia3_l.weight";
        }

        /** The vector's length: the input width for feed-forward sites, else the output width. */
        public int size() {
            return feedforward ? site.inFeatures() : site.outFeatures();
        }

        /** PEFT's stored shape: {@code [1, in]} (feed-forward) or {@code [out, 1]}. */
        public long[] fileShape() {
            return feedforward ? new long[] {1, size()} : new long[] {size(), 1};
        }

        /** A row, which broadcasts over {@code [b, s, size]}. */
        public long[] storeShape() {
            return new long[] {1, size()};
        }
    }

    Ia3Adapter(String name, Ia3Config config, List<Layer> layers) {
        this.name = name;
        this.config = config;
        this.layers = List.copyOf(layers);
    }

    @Override
    public String name() {
        return name;
    }

    /** The resolved config: concrete targets and feed-forward modules, {@code fan_in_fan_out} as applied. */
    @Override
    public Ia3Config config() {
        return config;
    }

    public List<Layer> layers() {
        return layers;
    }

    @Override
    public Map<String, String> stateKeys() {
        Map<String, String> m = new LinkedHashMap<>();
        layers.forEach(l -> m.put(l.fileKey(), l.key()));
        return m;
    }

    @Override
    public Map<String, long[]> stateShapes() {
        Map<String, long[]> m = new LinkedHashMap<>();
        layers.forEach(l -> m.put(l.fileKey(), l.fileShape()));
        return m;
    }

    @Override
    public long[] storeShape(String fileKey) {
        for (Layer l : layers) {
            if (l.fileKey().equals(fileKey)) {
                return l.storeShape();
            }
        }
        return null;
    }

    @Override
    public void addHooks(HookSet.Builder hooks, boolean perRow) {
        for (Layer l : layers) {
            hooks.linear(l.site().module(), new Ia3Hook(name, l.key(), l.feedforward(), perRow));
        }
    }

    /** Scales the input (feed-forward) or the output by the vector; symbolic-safe, no value reads. */
    private record Ia3Hook(String adapter, String key, boolean feedforward, boolean perRow) implements LinearHook {
        @Override
        public Tensor beforeLinear(ForwardContext ctx, LinearSite site, Tensor input) {
            return feedforward ? scaled(ctx.ops(), input) : input;
        }

        @Override
        public Tensor afterLinear(ForwardContext ctx, LinearSite site, Tensor input, Tensor output) {
            return feedforward ? output : scaled(ctx.ops(), output);
        }

        /** {@code t ⊙ l}, or in a mixed batch {@code t + sel ⊙ (t ⊙ l − t)}, i.e. scale {@code 1 + sel·(l − 1)}. */
        private Tensor scaled(Ops ops, Tensor t) {
            Tensor s = ops.mul(t, ops.param(key));
            Tensor rows = perRow ? ops.rowSelector(adapter) : null;
            return rows == null ? s : ops.add(t, ops.mul(ops.sub(s, t), rows));
        }
    }

    // ---- merging -------------------------------------------------------------------------------

    @Override
    public boolean canMerge() {
        return true;
    }

    /**
     * Scales every targeted base weight (and, for output scaling, its bias) by the vector. In safe
     * mode every result is computed and checked for NaN/Inf before any base tensor changes.
     */
    @Override
    public void merge(ParameterStore store, boolean safe) {
        Map<String, HostTensor> merged = new LinkedHashMap<>();
        for (Layer l : layers) {
            float[] v = store.get(l.key()).data();
            LinearSite s = l.site();
            merged.put(s.weightKey(), scaleWeight(store.get(s.weightKey()), v, l.feedforward(), s.inOutLayout(), false));
            if (!l.feedforward() && s.biasKey() != null) {
                merged.put(s.biasKey(), scaleVector(store.get(s.biasKey()), v, false));
            }
        }
        if (safe) {
            merged.forEach((k, t) -> {
                for (float x : t.data()) {
                    if (!Float.isFinite(x)) {
                        throw new Peft4jException("adapter '" + name + "': merging into " + k
                                + " gives NaN/Inf values; the adapter seems broken. Base weights left untouched");
                    }
                }
            });
        }
        merged.forEach(store::replaceBase);
    }

    /**
     * Reverses {@link #merge}: divides each base tensor by {@code l + 1e-8}, as PEFT does. Where
     * this adapter was the last merge into a tensor that was the checkpoint's, {@code PeftModel}'s
     * merge bookkeeping restores the checkpoint's values exactly instead (see {@link Adapter#unmerge}).
     */
    @Override
    public void unmerge(ParameterStore store) {
        for (Layer l : layers) {
            float[] v = store.get(l.key()).data();
            LinearSite s = l.site();
            store.replaceBase(s.weightKey(), scaleWeight(store.get(s.weightKey()), v, l.feedforward(), s.inOutLayout(), true));
            if (!l.feedforward() && s.biasKey() != null) {
                store.replaceBase(s.biasKey(), scaleVector(store.get(s.biasKey()), v, true));
            }
        }
    }

    /**
     * The weight with every input column (feed-forward) or output row scaled by {@code v}, in its
     * stored layout ({@code [in, out]} when {@code inOut}, PEFT's {@code fan_in_fan_out}).
     */
    static HostTensor scaleWeight(HostTensor w, float[] v, boolean feedforward, boolean inOut, boolean divide) {
        float[] d = w.data();
        int rows = (int) w.shape()[0];
        int cols = (int) w.shape()[1];
        boolean byRow = feedforward == inOut; // rows are inputs when inOut, outputs otherwise
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float f = v[byRow ? r : c];
                d[r * cols + c] = divide ? d[r * cols + c] / (f + 1e-8f) : d[r * cols + c] * f;
            }
        }
        return new HostTensor(w.shape(), d);
    }

    static HostTensor scaleVector(HostTensor b, float[] v, boolean divide) {
        float[] d = b.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = divide ? d[i] / (v[i] + 1e-8f) : d[i] * v[i];
        }
        return new HostTensor(b.shape(), d);
    }
}
