package ai.peft4j.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.ops.Activation;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.RotarySpec;
import ai.peft4j.api.ops.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * Eager {@link Ops} on DJL NDArrays for one forward. Every result is owned by the forward's
 * manager (DJL gives a result to its first operand's manager, which may be the long-lived
 * weights' manager), so closing the forward frees everything it made.
 */
final class PtOps implements Ops {
    private static final float MASK_MIN = -Float.MAX_VALUE;
    private static final double GELU_C = Math.sqrt(2.0 / Math.PI);

    private final PtDecoderRuntime runtime;
    private final NDManager fm;
    private final State state;
    /** Weights widened once for every scope made from this one (see {@link #cachingWeights()}), else null. */
    private final Map<String, PtTensor> widened;
    private final NDManager widenedScope;

    /** What every scope of one forward shares: inputs, mask, rotary tables and scalars, in the forward's manager. */
    private static final class State {
        final NDManager owner;
        final NDArray inputIds;
        final NDArray positions;
        final int[][] attentionMask;
        final PtKvCache cache;
        final boolean training;
        final String[] rowAdapters;
        final Map<RotarySpec, NDArray[]> rotaryTables = new HashMap<>();
        final Map<Float, NDArray> scalars = new HashMap<>();
        NDArray additiveMask;

        State(NDManager owner, NDArray inputIds, NDArray positions, int[][] attentionMask, PtKvCache cache, boolean training,
                String[] rowAdapters) {
            this.owner = owner;
            this.inputIds = inputIds;
            this.positions = positions;
            this.attentionMask = attentionMask;
            this.cache = cache;
            this.training = training;
            this.rowAdapters = rowAdapters;
        }
    }

    PtOps(PtDecoderRuntime runtime, NDManager forwardManager, int[][] ids, int[][] positionIds, int[][] attentionMask,
            PtKvCache cache, boolean training, String[] rowAdapters) {
        this.runtime = runtime;
        this.fm = forwardManager;
        this.state = new State(forwardManager, torchOwned(fm.create(toLong2(ids))), torchOwned(fm.create(toLong2(positionIds))),
                attentionMask, cache, training, rowAdapters);
        this.widened = null;
        this.widenedScope = null;
    }

    private PtOps(PtOps parent, NDManager scope, Map<String, PtTensor> widened, NDManager widenedScope) {
        this.runtime = parent.runtime;
        this.fm = scope;
        this.state = parent.state;
        this.widened = widened;
        this.widenedScope = widenedScope;
    }

    /**
     * The same forward with results owned by {@code scope}: closing the scope frees what ran in it
     * (autograd keeps what a backward needs), so a block's temporaries do not outlive the block.
     */
    PtOps scoped(NDManager scope) {
        return new PtOps(this, scope, widened, widenedScope);
    }

    /**
     * The same forward, but a weight read through it or any scope made from it is widened once,
     * into this scope's manager, and reused: the chunked LM head reads the same (tied, float16)
     * head weight for every chunk of a step.
     */
    PtOps cachingWeights() {
        return new PtOps(this, fm, new HashMap<>(), fm);
    }

    /** The manager this scope's results belong to. */
    NDManager manager() {
        return fm;
    }

    private static long[][] toLong2(int[][] a) {
        long[][] r = new long[a.length][];
        for (int i = 0; i < a.length; i++) {
            r[i] = new long[a[i].length];
            for (int j = 0; j < a[i].length; j++) {
                r[i][j] = a[i][j];
            }
        }
        return r;
    }

    /**
     * A copy of an array made from Java memory into memory PyTorch owns. DJL wraps Java direct
     * buffers without copying; autograd and views can keep using that storage after the wrapping
     * array is gone, and the garbage collector then frees it under them (seen as intermittent NaN
     * gradients under GC pressure). Copies of small inputs are cheap insurance.
     */
    static NDArray torchOwned(NDArray fromJava) {
        NDArray owned = fromJava.duplicate();
        owned.attach(fromJava.getManager());
        fromJava.close();
        return owned;
    }

    static NDArray nd(Tensor t) {
        return ((PtTensor) t).array();
    }

    /**
     * A float scalar in memory PyTorch owns, cached for this forward. DJL's {@code mul(Number)},
     * {@code pow(Number)}, {@code maximum(Number)} etc. wrap the number in a Java direct buffer
     * and close it right after the op, but autograd keeps that scalar for the backward pass,
     * which then reads memory the garbage collector may have freed and reused: NaN or, worse,
     * silently wrong gradients (first seen as NaN gradients at a finite loss). Use this instead
     * of any Number overload on a path that can be differentiated.
     */
    private NDArray scalar(float value) {
        return state.scalars.computeIfAbsent(value, v -> torchOwned(state.owner.create(v.floatValue())));
    }

    Tensor own(NDArray a) {
        if (a.getManager() != fm) {
            a.attach(fm);
        }
        return new PtTensor(a);
    }

    @Override
    public Tensor inputIds() {
        return new PtTensor(state.inputIds);
    }

    @Override
    public Tensor positionIds() {
        return new PtTensor(state.positions);
    }

    @Override
    public Tensor param(String key) {
        if (widened != null) {
            return widened.computeIfAbsent(key, k -> runtime.paramTensor(k, widenedScope));
        }
        return runtime.paramTensor(key, fm);
    }

    @Override
    public boolean hasParam(String key) {
        return runtime.parameters().contains(key);
    }

    @Override
    public boolean training() {
        return state.training;
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return own(nd(a).add(nd(b)));
    }

    @Override
    public Tensor sub(Tensor a, Tensor b) {
        return own(nd(a).sub(nd(b)));
    }

    @Override
    public Tensor mul(Tensor a, Tensor b) {
        return own(nd(a).mul(nd(b)));
    }

    @Override
    public Tensor scale(Tensor a, double factor) {
        return own(nd(a).mul(scalar((float) factor)));
    }

    @Override
    public Tensor activation(Tensor t, Activation activation) {
        NDArray x = nd(t);
        switch (activation) {
            case GELU:
                return own(x.getNDArrayInternal().gelu());
            case GELU_TANH: {
                // gelu_new, 0.5 x (1 + tanh(z)) with z = sqrt(2/pi) (x + 0.044715 x^3), written as the
                // identical x * sigmoid(2z): autograd then keeps one [tokens x intermediate] tensor
                // (the sigmoid) besides x instead of three, about 25 MiB per GPT-2-small block at 4 x 256.
                NDArray z2 = x.add(x.pow(scalar(3f)).mul(scalar(0.044715f))).mul(scalar((float) (2 * GELU_C)));
                return own(x.mul(z2.getNDArrayInternal().sigmoid()));
            }
            case SILU:
                return own(x.mul(x.getNDArrayInternal().sigmoid()));
            case RELU:
                return own(x.maximum(scalar(0f)));
            default:
                throw new Peft4jException("activation not implemented: " + activation);
        }
    }

    @Override
    public Tensor dropout(Tensor x, double p) {
        if (!state.training || p <= 0) {
            return x;
        }
        NDArray a = nd(x);
        return own(a.getNDArrayInternal().dropout(a, (float) p, true).singletonOrThrow());
    }

    @Override
    public Tensor embedding(Tensor table, Tensor ids) {
        NDArray idx = nd(ids);
        PtBaseWeight stored = ((PtTensor) table).unwidened();
        if (stored != null) {
            return own(stored.rows(idx, fm));
        }
        return own(idx.getNDArrayInternal().embedding(idx, nd(table), SparseFormat.DENSE).singletonOrThrow());
    }

    @Override
    public Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        NDArray in = nd(x);
        NDList out = in.getNDArrayInternal().linear(in, nd(weight), bias == null ? null : nd(bias));
        return own(out.singletonOrThrow());
    }

    @Override
    public Tensor matmulInOut(Tensor x, Tensor weight, Tensor bias) {
        NDArray y = nd(x).matMul(nd(weight));
        if (bias != null) {
            y = y.addi(nd(bias));
        }
        return own(y);
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        NDArray in = nd(x);
        Shape norm = new Shape(in.getShape().get(in.getShape().dimension() - 1));
        return own(in.getNDArrayInternal().layerNorm(in, norm, nd(gamma), nd(beta), (float) eps).singletonOrThrow());
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor gamma, double eps) {
        NDArray in = nd(x);
        NDArray rms = in.square().mean(new int[] {-1}, true).add(scalar((float) eps)).sqrt();
        return own(in.div(rms).mul(nd(gamma)));
    }

    @Override
    public Tensor[] splitLast(Tensor x, int... sizes) {
        NDArray in = nd(x);
        long[] cuts = new long[sizes.length - 1];
        long acc = 0;
        for (int i = 0; i < cuts.length; i++) {
            acc += sizes[i];
            cuts[i] = acc;
        }
        NDList parts = in.split(cuts, in.getShape().dimension() - 1);
        Tensor[] out = new Tensor[parts.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = own(parts.get(i));
        }
        return out;
    }

    @Override
    public Tensor splitHeads(Tensor x, int heads) {
        NDArray in = nd(x);
        Shape s = in.getShape();
        long d = s.get(2) / heads;
        return own(in.reshape(s.get(0), s.get(1), heads, d).transpose(0, 2, 1, 3));
    }

    @Override
    public Tensor mergeHeads(Tensor x) {
        NDArray in = nd(x);
        Shape s = in.getShape();
        return own(in.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3)));
    }

    @Override
    public Tensor concatSeq(Tensor first, Tensor second) {
        return own(nd(first).concat(nd(second), 1));
    }

    @Override
    public Tensor broadcastBatch(Tensor x) {
        NDArray in = nd(x);
        Shape s = in.getShape();
        return own(in.expandDims(0).broadcast(new Shape(state.inputIds.getShape().get(0), s.get(0), s.get(1))));
    }

    @Override
    public Tensor lastPosition(Tensor x) {
        return own(nd(x).get(new NDIndex(":, -1:, :")));
    }

    @Override
    public Tensor rotary(Tensor x, RotarySpec spec) {
        NDArray in = nd(x);
        NDArray[] cs = state.rotaryTables.computeIfAbsent(spec, this::tables);
        NDArray cos = cs[0];
        NDArray sin = cs[1];
        int rd = spec.rotaryDim();
        long d = in.getShape().get(3);
        NDArray rot = rd == d ? in : in.get(new NDIndex(":, :, :, :" + rd));
        NDArray out;
        if (spec.interleaved()) {
            Shape s = rot.getShape();
            NDArray pairs = rot.reshape(s.get(0), s.get(1), s.get(2), rd / 2, 2);
            NDArray even = pairs.get(new NDIndex("..., 0"));
            NDArray odd = pairs.get(new NDIndex("..., 1"));
            NDArray outEven = even.mul(cos).sub(odd.mul(sin));
            NDArray outOdd = odd.mul(cos).add(even.mul(sin));
            out = outEven.stack(outOdd, -1).reshape(s);
        } else {
            NDArray x1 = rot.get(new NDIndex("..., :" + rd / 2));
            NDArray x2 = rot.get(new NDIndex("..., " + rd / 2 + ":"));
            NDArray cosFull = cos.concat(cos, -1);
            NDArray sinFull = sin.concat(sin, -1);
            out = rot.mul(cosFull).add(x2.neg().concat(x1, -1).mul(sinFull));
        }
        if (rd != d) {
            out = out.concat(in.get(new NDIndex(":, :, :, " + rd + ":")), -1);
        }
        return own(out);
    }

    /** cos and sin {@code [b, 1, s, rd/2]} for this forward's positions. */
    private NDArray[] tables(RotarySpec spec) {
        NDArray inv = torchOwned(state.owner.create(spec.invFreq()));
        NDArray angles = state.positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(inv).expandDims(1);
        NDArray cos = angles.cos();
        NDArray sin = angles.sin();
        if (spec.attentionScaling() != 1f) {
            cos = cos.mul(spec.attentionScaling());
            sin = sin.mul(spec.attentionScaling());
        }
        return new NDArray[] {cos, sin};
    }

    @Override
    public Tensor attention(int layer, Tensor qt, Tensor kt, Tensor vt, double scale) {
        NDArray q = nd(qt);
        NDArray k = nd(kt);
        NDArray v = nd(vt);
        PtKvCache cache = state.cache;
        if (cache != null && cache.key(layer) != null) {
            k = cache.key(layer).concat(k, 2);
            v = cache.value(layer).concat(v, 2);
        }
        if (cache != null) {
            cache.set(layer, k, v);
        }
        Shape qs = q.getShape();
        long b = qs.get(0);
        long heads = qs.get(1);
        long t = qs.get(2);
        long d = qs.get(3);
        long kvHeads = k.getShape().get(1);
        long s = k.getShape().get(2);
        long rep = heads / kvHeads;
        // Grouped-query attention without copying keys: fold the query groups into the sequence axis.
        NDArray qg = rep == 1 ? q : q.reshape(b, kvHeads, rep * t, d);
        NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2)).mul(scalar((float) scale));
        if (rep != 1) {
            scores = scores.reshape(b, heads, t, s);
        }
        scores = scores.add(mask(t, s));
        NDArray probs = scores.softmax(-1);
        if (rep != 1) {
            probs = probs.reshape(b, kvHeads, rep * t, s);
        }
        NDArray out = probs.matMul(v);
        if (rep != 1) {
            out = out.reshape(b, heads, t, d);
        }
        return own(out);
    }

    /** The additive causal + padding mask {@code [b, 1, t, s]}, built once per forward. */
    private NDArray mask(long t, long s) {
        if (state.additiveMask != null) {
            return state.additiveMask;
        }
        int[][] attentionMask = state.attentionMask;
        int b = attentionMask.length;
        if (attentionMask[0].length != s) {
            throw new Peft4jException("attention mask covers " + attentionMask[0].length + " positions but the model sees " + s);
        }
        // The sliding window (and the context) was checked by ForwardRequest.validate.
        long past = s - t;
        float[] m = new float[(int) (b * t * s)];
        int i = 0;
        for (int r = 0; r < b; r++) {
            for (long q = 0; q < t; q++) {
                for (long j = 0; j < s; j++) {
                    boolean visible = j <= past + q && attentionMask[r][(int) j] != 0;
                    m[i++] = visible ? 0f : MASK_MIN;
                }
            }
        }
        state.additiveMask = torchOwned(state.owner.create(m, new Shape(b, 1, t, s)));
        return state.additiveMask;
    }

    @Override
    public Tensor rowSelector(String adapterName) {
        String[] rowAdapters = state.rowAdapters;
        if (rowAdapters == null) {
            return null;
        }
        float[] sel = new float[rowAdapters.length];
        boolean all = true;
        for (int i = 0; i < sel.length; i++) {
            sel[i] = adapterName.equals(rowAdapters[i]) ? 1f : 0f;
            all &= sel[i] == 1f;
        }
        if (all) {
            return null;
        }
        return own(torchOwned(fm.create(sel, new Shape(sel.length, 1, 1))));
    }
}
