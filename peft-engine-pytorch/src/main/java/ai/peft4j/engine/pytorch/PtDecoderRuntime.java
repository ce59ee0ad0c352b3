package ai.peft4j.engine.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.AbstractParameterStore;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.ops.Tensor;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A decoder on the PyTorch engine. Base weights are wrapped around the checkpoint's mapped
 * buffers on first use (no heap copy on CPU); adapter parameters live in a long-lived manager.
 * Forwards may run concurrently: each has its own manager, and shared state is read-only or
 * in concurrent maps.
 */
final class PtDecoderRuntime implements DecoderRuntime {
    private final PtEngine engine;
    private final Checkpoint checkpoint;
    private final Device device;
    private final NDManager root;
    private final NDManager weights;
    private final NDManager adapterManager;
    private final Map<String, NDArray> base = new ConcurrentHashMap<>();
    private final Store store;
    private volatile boolean training;

    PtDecoderRuntime(PtEngine engine, Checkpoint checkpoint, Device device) {
        this.engine = engine;
        this.checkpoint = checkpoint;
        this.device = device;
        this.root = NDManager.newBaseManager(device, "PyTorch");
        this.weights = root.newSubManager();
        this.adapterManager = root.newSubManager();
        this.store = new Store(checkpoint);
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
        ai.djl.pytorch.jni.JniUtils.setSeed(seed);
    }

    @Override
    public void setTraining(boolean training) {
        this.training = training;
    }

    /** The array for a key: adapter parameter, merged base override, or the checkpoint weight. */
    NDArray param(String key) {
        NDArray a = store.adapterValue(key);
        if (a != null) {
            return a;
        }
        a = store.replacedValue(key);
        if (a != null) {
            return a;
        }
        return base.computeIfAbsent(key, this::loadBase);
    }

    private NDArray loadBase(String key) {
        if (!checkpoint.contains(key)) {
            throw new Peft4jException(checkpoint.directory() + ": no tensor '" + key + "'");
        }
        ByteBuffer buf = checkpoint.float32(key);
        Shape shape = new Shape(checkpoint.info(key).shape());
        synchronized (weights) {
            return weights.create(buf, shape, DataType.FLOAT32);
        }
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
        PtKvCache cache = (PtKvCache) kvCache;
        if (cache == null && !request.startsSequence()) {
            throw new Peft4jException("a decoding step needs the cache of the forward that started the sequence");
        }
        checkLength(request, cache);
        try (NDManager fm = root.newSubManager()) {
            NDArray logits = run(fm, request, cache, request.lastPositionOnly(), false);
            Shape s = logits.getShape();
            return new Logits((int) s.get(0), (int) s.get(1), (int) s.get(2), logits.toFloatArray());
        }
    }

    private void checkLength(ForwardRequest request, PtKvCache cache) {
        int total = request.attentionMask()[0].length;
        int max = config().maxPositions();
        if (total > max) {
            throw new Peft4jException("sequence of " + total + " positions exceeds the model's context of " + max
                    + " (max_position_embeddings); shorten the prompt or max new tokens");
        }
        int past = cache == null ? 0 : cache.length();
        int expected = past + request.positionIds()[0].length;
        if (expected != total) {
            throw new Peft4jException("attention mask has " + total + " positions; cache " + past + " + new "
                    + request.positionIds()[0].length + " expected");
        }
    }

    private NDArray run(NDManager fm, ForwardRequest req, PtKvCache cache, boolean lastOnly, boolean train) {
        PtOps ops = new PtOps(this, fm, req.inputIds(), req.positionIds(), req.attentionMask(), cache, train, req.rowAdapters());
        ForwardContext ctx = new ForwardContext(ops, req.hooks(), req.startsSequence());
        Architecture arch = architecture();
        DecoderConfig cfg = config();
        Tensor h = arch.decode(ctx, cfg, ctx.applyInputHooks(arch.embed(ctx, cfg)));
        if (lastOnly) {
            h = ops.lastPosition(h);
        }
        return PtOps.nd(arch.lmHead(ctx, cfg, h));
    }

    /**
     * Rows x vocab logits one loss chunk may hold, from the property {@code peft4j.lossChunkElements}
     * (e.g. 16777216 = 64 MiB of logits); 0, the default, computes the head in one piece. Opt-in
     * for now: chunked gradients match the unchunked ones (PtChunkedLossTest), but with one
     * position per chunk a from-scratch full fine-tuning run hit NaN gradients at a finite loss.
     * That was most likely the freed-scalar fault fixed in {@code PtOps.scalar} (many more
     * scalar ops per step); re-measure before making chunking the default.
     */
    static volatile long lossChunkElements = Long.getLong("peft4j.lossChunkElements", 0L);

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
        checkLength(req, null);
        int prefix = h.prefixLength();
        int[][] labels = batch.labels();
        int first = prefix > 0 ? 0 : 1;
        int n = labels[0].length - first; // positions that predict a label
        int from = prefix + first - 1;    // the hidden position that predicts labels[.][first]
        long perChunk = lossChunkElements;
        long rowsPerChunk = perChunk <= 0 ? n
                : Math.max(1, perChunk / ((long) labels.length * config().vocabSize()));
        int chunk = (int) Math.min(n, rowsPerChunk);
        try (NDManager fm = root.newSubManager()) {
            if (!withGradients) {
                NDArray hidden = body(fm, req, false);
                double sum = 0;
                for (int t0 = 0; t0 < n; t0 += chunk) {
                    try (NDManager cm = fm.newSubManager()) {
                        sum += headLoss(cm, req, false, hidden, labels, first, from, t0, Math.min(n, t0 + chunk)).getFloat();
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
            try (GradientCollector gc = ai.djl.engine.Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray hidden = body(fm, req, training);
                if (chunk >= n) {
                    NDArray loss = headLoss(fm, req, training, hidden, labels, first, from, 0, n);
                    sum = loss.getFloat();
                    gc.backward(loss);
                } else {
                    NDArray detached = hidden.stopGradient();
                    detached.attach(fm);
                    detached.setRequiresGradient(true);
                    for (int t0 = 0; t0 < n; t0 += chunk) {
                        try (NDManager cm = fm.newSubManager()) {
                            NDArray loss = headLoss(cm, req, training, detached, labels, first, from, t0, Math.min(n, t0 + chunk));
                            sum += loss.getFloat();
                            gc.backward(loss);
                        }
                    }
                    NDArray dHidden = detached.getGradient();
                    dHidden.attach(fm);
                    JniUtils.backward((PtNDArray) hidden, (PtNDArray) dHidden, false, false);
                }
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

    /** The decoder body (embedding, input hooks, blocks): the hidden states the LM head reads. */
    private NDArray body(NDManager fm, ForwardRequest req, boolean train) {
        PtOps ops = new PtOps(this, fm, req.inputIds(), req.positionIds(), req.attentionMask(), null, train, req.rowAdapters());
        ForwardContext ctx = new ForwardContext(ops, req.hooks(), req.startsSequence());
        Architecture arch = architecture();
        DecoderConfig cfg = config();
        return PtOps.nd(arch.decode(ctx, cfg, ctx.applyInputHooks(arch.embed(ctx, cfg))));
    }

    /**
     * The LM head and summed next-token NLL for label positions {@code [t0, t1)} (relative to
     * {@code first}), whose predicting hidden positions start at {@code from + t0}; arrays in {@code cm}.
     */
    private NDArray headLoss(NDManager cm, ForwardRequest req, boolean train, NDArray hidden, int[][] labels, int first, int from,
            int t0, int t1) {
        PtOps ops = new PtOps(this, cm, req.inputIds(), req.positionIds(), req.attentionMask(), null, train, req.rowAdapters());
        ForwardContext ctx = new ForwardContext(ops, req.hooks(), req.startsSequence());
        NDArray slice = hidden.get(new NDIndex(":, " + (from + t0) + ":" + (from + t1) + ", :"));
        slice.attach(cm);
        NDArray logits = PtOps.nd(architecture().lmHead(ctx, config(), new PtTensor(slice)));
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

    /** Adapter parameters and merge overrides, as NDArrays on this runtime's device. */
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
            return download(key, param(key));
        }
    }
}
