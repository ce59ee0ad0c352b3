package ai.peft4j.engine.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
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
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.ops.Tensor;
import ai.peft4j.api.quant.Quantization;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A decoder on the PyTorch engine. Base weights are wrapped around the checkpoint's mapped
 * buffers on first use (no heap copy on CPU); adapter parameters live in a long-lived manager.
 * Forwards may run concurrently: each has its own manager, and shared state is read-only or
 * in concurrent maps.
 */
final class PtDecoderRuntime implements DecoderRuntime {
    /** Held while gradients are collected (see {@link #lossAndGradients}). */
    private static final java.util.concurrent.locks.ReentrantLock GRADIENT_COLLECTION = new java.util.concurrent.locks.ReentrantLock();
    private final PtEngine engine;
    private final Checkpoint checkpoint;
    private final Device device;
    private final NDManager root;
    private final NDManager weights;
    private final NDManager adapterManager;
    private final Map<String, PtBaseWeight> base = new ConcurrentHashMap<>();
    /** Linear sites' weight keys, mapped to whether the checkpoint stores them {@code [in, out]}. */
    private final Map<String, Boolean> linearWeights = new HashMap<>();
    private final EngineOptions options;
    private final Store store;
    /** The forward sequence, each block in a scope of its own (see {@link #segment}). */
    private final DecoderForward forward;
    private volatile boolean training;
    private volatile long seed;

    PtDecoderRuntime(PtEngine engine, Checkpoint checkpoint, Device device, EngineOptions options) {
        this.engine = engine;
        this.checkpoint = checkpoint;
        this.device = device;
        this.options = options;
        this.root = NDManager.newBaseManager(device, "PyTorch");
        this.weights = root.newSubManager();
        this.adapterManager = root.newSubManager();
        this.store = new Store(checkpoint);
        this.forward = new DecoderForward(checkpoint.architecture(), checkpoint.config(), this::segment);
        for (LinearSite site : checkpoint.architecture().linearSites(checkpoint.config())) {
            linearWeights.put(site.weightKey(), site.inOutLayout());
        }
        if (options.quantization() != Quantization.NONE) {
            // Quantize up front, so the first forward is not the one that pays, and memory is known.
            linearWeights.keySet().parallelStream().forEach(this::baseWeight);
        }
    }

    /** The options this runtime was loaded with. */
    EngineOptions options() {
        return options;
    }

    /** Bytes of base weights resident now (as held: stored precision, or codes and scales). */
    long residentBaseBytes() {
        return base.values().stream().mapToLong(PtBaseWeight::residentBytes).sum();
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
        return device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu";
    }

    @Override
    public ParameterStore parameters() {
        return store;
    }

    /** Seeds libtorch's global generator ({@code torch.manual_seed}), which dropout draws from. */
    @Override
    public void setSeed(long seed) {
        this.seed = seed;
        JniUtils.setSeed(seed);
    }

    /**
     * Reseeds before a segment of a training forward (-1: embeddings, else the block), so a block
     * recomputed for activation checkpointing draws the same dropout masks as its first run.
     */
    private void seedSegment(int segment) {
        if (training) {
            JniUtils.setSeed(seed * 1_000_003L + segment + 2);
        }
    }

    @Override
    public void setTraining(boolean training) {
        this.training = training;
    }

    /** The float32 array for a trainable key: an adapter parameter or a base override. */
    NDArray param(String key) {
        NDArray a = store.adapterValue(key);
        if (a != null) {
            return a;
        }
        a = store.replacedValue(key);
        if (a != null) {
            return a;
        }
        throw new Peft4jException("'" + key + "' is a frozen base weight, not a trainable parameter");
    }

    /** The tensor for a key as one scope of a forward sees it. */
    PtTensor paramTensor(String key, NDManager scope) {
        NDArray a = store.adapterValue(key);
        if (a != null) {
            return new PtTensor(a);
        }
        a = store.replacedValue(key);
        if (a != null) {
            return new PtTensor(a);
        }
        return PtTensor.of(baseWeight(key), scope);
    }

    /** How many times the base weight {@code key} was widened to float32 so far (for tests). */
    long widenings(String key) {
        return baseWeight(key).widenings();
    }

    private PtBaseWeight baseWeight(String key) {
        return base.computeIfAbsent(key, this::loadBase);
    }

    private PtBaseWeight loadBase(String key) {
        if (!checkpoint.contains(key)) {
            throw new Peft4jException(checkpoint.directory() + ": no tensor '" + key + "'");
        }
        synchronized (weights) {
            return PtBaseWeight.load(weights, checkpoint, key, linearWeights.get(key), options);
        }
    }

    /** Whether a base weight is held quantized (it cannot be replaced or trained). */
    private boolean isQuantized(String key) {
        return options.quantization() != Quantization.NONE && linearWeights.containsKey(key);
    }

    /** How many arrays this runtime's managers hold now; a training step must leave it unchanged. */
    int liveArrays() {
        return root.getManagedArrays().size();
    }

    @Override
    public KvCache newCache() {
        return new PtKvCache(root, config().numLayers());
    }

    @Override
    public Logits forward(ForwardRequest request, KvCache kvCache) {
        PtKvCache cache = request.validate(this, kvCache, PtKvCache.class);
        try (NDManager fm = root.newSubManager()) {
            PtOps ops = new PtOps(this, fm, request.inputIds(), request.positionIds(), request.attentionMask(), cache, false,
                    request.rowAdapters());
            NDArray logits = PtOps.nd(forward.logits(DecoderForward.context(ops, request), request.lastPositionOnly()));
            Shape s = logits.getShape();
            return new Logits((int) s.get(0), (int) s.get(1), (int) s.get(2), logits.toFloatArray());
        }
    }

    /**
     * How {@link #forward} runs a segment: reseeded for dropout (see {@link #seedSegment}); the
     * embedding segment in the forward's scope; a block in a scope of its own, so its temporaries
     * (widened weights, attention scores, MLP activations) are freed when it ends, keeping only
     * what autograd saved, as an eager PyTorch module would; DJL otherwise holds every
     * intermediate until the forward ends.
     */
    private Tensor segment(ForwardContext ctx, int segment, Function<ForwardContext, Tensor> stage) {
        seedSegment(segment);
        if (segment == DecoderForward.EMBEDDING) {
            return stage.apply(ctx);
        }
        PtOps ops = (PtOps) ctx.ops();
        try (NDManager bm = ops.manager().newSubManager()) {
            NDArray out = PtOps.nd(stage.apply(ctx.withOps(ops.scoped(bm))));
            out.attach(ops.manager());
            return new PtTensor(out);
        }
    }

    /**
     * The summed loss and its gradients with a chunked LM head: the decoder body runs once; its
     * output is detached and the head plus cross-entropy run over chunks of positions, each chunk's
     * backward adding into the detached output's gradient (and into any trainable head weight), so
     * the full {@code [tokens x vocab]} logits and their gradient never exist at once; then one
     * backward takes that gradient through the body. The gradients are exact (the chunk sums are
     * the unchunked sum, in another order).
     */
    @Override
    public LossResult lossAndGradients(TrainBatch batch, HookSet hooks, boolean withGradients) {
        HookSet h = hooks == null ? HookSet.EMPTY : hooks;
        ForwardRequest req = ForwardRequest.start(batch.inputIds(), batch.attentionMask(), h, null, false);
        req.validate(this, null, PtKvCache.class);
        int prefix = h.prefixLength();
        int[][] labels = batch.labels();
        int first = prefix > 0 ? 0 : 1;
        int n = labels[0].length - first; // positions that predict a label
        int from = prefix + first - 1;    // the hidden position that predicts labels[.][first]
        long perChunk = options.lossChunkElements();
        long rowsPerChunk = perChunk <= 0 ? n
                : Math.max(1, perChunk / ((long) labels.length * config().vocabSize()));
        int chunk = (int) Math.min(n, rowsPerChunk);
        try (NDManager fm = root.newSubManager()) {
            if (!withGradients) {
                PtOps ops = new PtOps(this, fm, req.inputIds(), req.positionIds(), req.attentionMask(), null, false,
                        req.rowAdapters());
                NDArray hidden = PtOps.nd(forward.body(DecoderForward.context(ops, req)));
                PtOps headOps = ops.cachingWeights();
                double sum = 0;
                for (int t0 = 0; t0 < n; t0 += chunk) {
                    try (NDManager cm = fm.newSubManager()) {
                        sum += headLoss(headOps, cm, req, hidden, labels, first, from, t0, Math.min(n, t0 + chunk)).getFloat();
                    }
                }
                return new LossResult(sum, batch.targetCount(prefix), Map.of());
            }
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (String key : store.trainableKeys()) {
                NDArray p = param(key);
                p.setRequiresGradient(true);
                params.put(key, p);
            }
            double sum = 0;
            // DJL allows one GradientCollector per JVM at a time: training runtimes of one JVM (two
            // Spark tasks of one executor, say) take turns here instead of failing.
            GRADIENT_COLLECTION.lock();
            try (GradientCollector gc = ai.djl.engine.Engine.getEngine("PyTorch").newGradientCollector()) {
                PtOps ops = new PtOps(this, fm, req.inputIds(), req.positionIds(), req.attentionMask(), null, training, req.rowAdapters());
                ForwardContext ctx = DecoderForward.context(ops, req);
                NDArray[] blockInputs = null;
                NDArray hidden;
                int checkpointed = options.checkpointedBlocks(config().numLayers());
                if (checkpointed > 0) {
                    // Without autograd: keep the checkpointed blocks' inputs only; the rest of the body
                    // (the later blocks, the final norm) runs with autograd from a leaf.
                    JniUtils.setGradMode(false);
                    try {
                        blockInputs = nd(forward.blockInputs(ctx, checkpointed));
                    } finally {
                        JniUtils.setGradMode(true);
                    }
                    NDArray last = blockInputs[checkpointed];
                    last.setRequiresGradient(true);
                    Tensor x = new PtTensor(last);
                    for (int i = checkpointed; i < config().numLayers(); i++) {
                        x = forward.block(ctx, i, x);
                    }
                    hidden = PtOps.nd(forward.finalNorm(ctx, x));
                } else {
                    hidden = PtOps.nd(forward.body(ctx));
                }
                PtOps headOps = ops.cachingWeights();
                if (chunk >= n && blockInputs == null) {
                    NDArray loss = headLoss(headOps, fm, req, hidden, labels, first, from, 0, n);
                    sum = loss.getFloat();
                    gc.backward(loss);
                } else {
                    NDArray detached = hidden.stopGradient();
                    detached.attach(fm);
                    detached.setRequiresGradient(true);
                    for (int t0 = 0; t0 < n; t0 += chunk) {
                        try (NDManager cm = fm.newSubManager()) {
                            NDArray loss = headLoss(headOps, cm, req, detached, labels, first, from, t0, Math.min(n, t0 + chunk));
                            sum += loss.getFloat();
                            gc.backward(loss);
                        }
                    }
                    NDArray dHidden = detached.getGradient();
                    dHidden.attach(fm);
                    JniUtils.backward((PtNDArray) hidden, (PtNDArray) dHidden, false, false);
                }
                if (blockInputs != null) {
                    backwardThroughBlocks(ops, req, blockInputs);
                }
            } finally {
                GRADIENT_COLLECTION.unlock();
            }
            Map<String, HostTensor> grads = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                // getGradient() returns a new handle attached to the parameter's long-lived manager:
                // close it, or every step leaks the handle and keeps the gradient's storage alive.
                try (NDArray g = e.getValue().getGradient()) {
                    grads.put(e.getKey(), new HostTensor(e.getValue().getShape().getShape(), g.toFloatArray()));
                }
                // zero_() in place: NaN-safe (g - g is not), and unlike set(index, 0f) it leaves no
                // scalar array behind in the parameter's long-lived manager on every step.
                JniUtils.zeroGrad((PtNDArray) e.getValue());
            }
            return new LossResult(sum, batch.targetCount(prefix), grads);
        }
    }

    private static NDArray[] nd(Tensor[] tensors) {
        NDArray[] arrays = new NDArray[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            arrays[i] = PtOps.nd(tensors[i]);
        }
        return arrays;
    }

    /**
     * Activation checkpointing's backward: from the gradient at the last checkpointed block's
     * output (on the leaf {@code inputs[inputs.length - 1]}), recompute each block from its saved input with autograd, in a
     * scope of its own, and push the gradient through it; then through the embedding segment when
     * something there trains (a soft prompt). Same dropout masks as the first run (seedSegment).
     */
    private void backwardThroughBlocks(PtOps ops, ForwardRequest req, NDArray[] inputs) {
        int layers = inputs.length - 1; // the checkpointed ones
        NDArray grad = inputs[layers].getGradient();
        grad.attach(ops.manager());
        for (int i = layers - 1; i >= 0; i--) {
            NDArray in = inputs[i];
            in.setRequiresGradient(true);
            seedSegment(i);
            try (NDManager bm = ops.manager().newSubManager()) {
                ForwardContext ctx = DecoderForward.context(ops.scoped(bm), req);
                NDArray out = PtOps.nd(forward.blockStage(ctx, i, new PtTensor(in)));
                JniUtils.backward((PtNDArray) out, (PtNDArray) grad, false, false);
            }
            NDArray next = in.getGradient();
            next.attach(ops.manager());
            grad.close();
            grad = next;
        }
        try (NDManager em = ops.manager().newSubManager()) {
            NDArray x = PtOps.nd(forward.embedding(DecoderForward.context(ops.scoped(em), req)));
            // DJL's requiresGrad reads false on some non-leaf results that do carry a graph (a
            // broadcast soft prompt), so try the backward and accept only "nothing here trains".
            try {
                JniUtils.backward((PtNDArray) x, (PtNDArray) grad, false, false);
            } catch (ai.djl.engine.EngineException e) {
                if (!String.valueOf(e.getMessage()).contains("does not require grad")) {
                    throw e;
                }
            }
        }
    }

    /**
     * The LM head and summed next-token NLL for label positions {@code [t0, t1)} (relative to
     * {@code first}), whose predicting hidden positions start at {@code from + t0}; arrays in {@code cm}.
     */
    private NDArray headLoss(PtOps headOps, NDManager cm, ForwardRequest req, NDArray hidden, int[][] labels, int first, int from,
            int t0, int t1) {
        PtOps ops = headOps.scoped(cm);
        NDArray slice = hidden.get(new NDIndex(":, " + (from + t0) + ":" + (from + t1) + ", :"));
        slice.attach(cm);
        NDArray logits = PtOps.nd(forward.head(DecoderForward.context(ops, req), new PtTensor(slice), false));
        int b = labels.length;
        int n = t1 - t0;
        long v = logits.getShape().get(2);
        long[] targets = new long[b * n];
        float[] weight = new float[b * n];
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < n; t++) {
                int y = labels[i][first + t0 + t];
                targets[i * n + t] = y == TrainBatch.IGNORE ? 0 : y;
                weight[i * n + t] = y == TrainBatch.IGNORE ? 0f : 1f;
            }
        }
        NDArray logp = logits.reshape(-1, v).logSoftmax(-1);
        NDArray picked = logp.gather(PtOps.torchOwned(cm.create(targets)).reshape(-1, 1), 1).reshape(-1);
        NDArray nll = picked.mul(PtOps.torchOwned(cm.create(weight))).sum().neg();
        nll.attach(cm);
        return nll;
    }

    @Override
    public void close() {
        root.close();
    }

    /** Adapter parameters and merge overrides, as PyTorch-owned NDArrays on this runtime's device. */
    private final class Store extends AbstractParameterStore<NDArray> {
        Store(Checkpoint checkpoint) {
            super(checkpoint);
        }

        @Override
        protected NDArray upload(String key, HostTensor value) {
            synchronized (adapterManager) {
                return PtOps.torchOwned(adapterManager.create(value.data(), new Shape(value.shape())));
            }
        }

        @Override
        protected HostTensor download(String key, NDArray value) {
            return new HostTensor(value.getShape().getShape(), value.toFloatArray());
        }

        @Override
        protected void release(String key, NDArray value) {
            value.close();
        }

        @Override
        protected HostTensor readBase(String key) {
            try (NDManager scope = root.newSubManager()) {
                return download(key, baseWeight(key).toFloat32(scope));
            }
        }

        @Override
        public void replaceBase(String key, HostTensor value) {
            if (isQuantized(key)) {
                throw new Peft4jException("base weight '" + key + "' is held " + options.quantization().id() + "-quantized: "
                        + "merging or training it would round the change into its codes, so it is refused; load the base with "
                        + "quantization none to merge (adapter files trained on a quantized base load on any base)");
            }
            super.replaceBase(key, value);
        }
    }
}
