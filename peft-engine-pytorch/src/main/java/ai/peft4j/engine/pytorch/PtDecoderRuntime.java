package ai.peft4j.engine.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.ForwardRequest;
import ai.peft4j.api.engine.KvCache;
import ai.peft4j.api.engine.Logits;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.ops.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
    private final Map<String, NDArray> replaced = new ConcurrentHashMap<>();
    private final Map<String, NDArray> adapters = new ConcurrentHashMap<>();
    private final Set<String> trainable = ConcurrentHashMap.newKeySet();
    private final Store store = new Store();
    private volatile boolean training;

    PtDecoderRuntime(PtEngine engine, Checkpoint checkpoint, Device device) {
        this.engine = engine;
        this.checkpoint = checkpoint;
        this.device = device;
        this.root = NDManager.newBaseManager(device, "PyTorch");
        this.weights = root.newSubManager();
        this.adapterManager = root.newSubManager();
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
        NDArray a = adapters.get(key);
        if (a != null) {
            return a;
        }
        a = replaced.get(key);
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

    @Override
    public LossResult lossAndGradients(TrainBatch batch, HookSet hooks, boolean withGradients) {
        HookSet h = hooks == null ? HookSet.EMPTY : hooks;
        ForwardRequest req = ForwardRequest.start(batch.inputIds(), batch.attentionMask(), h, null, false);
        checkLength(req, null);
        int prefix = h.prefixLength();
        try (NDManager fm = root.newSubManager()) {
            if (!withGradients) {
                NDArray logits = run(fm, req, null, false, false);
                double sum = nllSum(fm, logits, batch.labels(), prefix).getFloat();
                return new LossResult(sum, batch.targetCount(prefix), Map.of());
            }
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (String key : new TreeSet<>(trainable)) {
                NDArray p = param(key);
                p.setRequiresGradient(true);
                params.put(key, p);
            }
            double sum;
            try (GradientCollector gc = ai.djl.engine.Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray logits = run(fm, req, null, false, training);
                NDArray loss = nllSum(fm, logits, batch.labels(), prefix);
                sum = loss.getFloat();
                gc.backward(loss);
            }
            Map<String, HostTensor> grads = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                // getGradient() returns a new handle attached to the parameter's long-lived manager:
                // close it, or every step leaks the handle and keeps the gradient's storage alive.
                try (NDArray g = e.getValue().getGradient()) {
                    grads.put(e.getKey(), new HostTensor(e.getValue().getShape().getShape(), g.toFloatArray()));
                    g.subi(g);
                }
            }
            return new LossResult(sum, batch.targetCount(prefix), grads);
        }
    }

    /**
     * Summed next-token negative log-likelihood over labels != -100. With a soft prompt the labels
     * are extended with -100 over the prefix, so the last virtual position predicts label 0 (PEFT).
     */
    private static NDArray nllSum(NDManager fm, NDArray logits, int[][] labels, int prefix) {
        int b = labels.length;
        int s = labels[0].length;
        int first = prefix > 0 ? 0 : 1;
        int n = s - first;
        long v = logits.getShape().get(2);
        long[] targets = new long[b * n];
        float[] weight = new float[b * n];
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < n; t++) {
                int y = labels[i][t + first];
                targets[i * n + t] = y == TrainBatch.IGNORE ? 0 : y;
                weight[i * n + t] = y == TrainBatch.IGNORE ? 0f : 1f;
            }
        }
        int from = prefix + first - 1;
        NDArray shifted = logits.get(new NDIndex(":, " + from + ":" + (from + n) + ", :")).reshape(-1, v);
        NDArray logp = shifted.logSoftmax(-1);
        NDArray picked = logp.gather(PtOps.torchOwned(fm.create(targets)).reshape(-1, 1), 1).reshape(-1);
        NDArray nll = picked.mul(PtOps.torchOwned(fm.create(weight))).sum().neg();
        nll.attach(fm);
        return nll;
    }

    @Override
    public void close() {
        root.close();
    }

    /** Adapter parameters and merge overrides, as NDArrays on this runtime's device. */
    private final class Store implements ParameterStore {
        @Override
        public void put(String key, HostTensor value, boolean isTrainable) {
            if (checkpoint.contains(key)) {
                throw new Peft4jException("adapter parameter key '" + key + "' collides with a base weight");
            }
            NDArray a;
            synchronized (adapterManager) {
                a = PtOps.torchOwned(adapterManager.create(value.data(), new Shape(value.shape())));
            }
            NDArray old = adapters.put(key, a);
            if (old != null) {
                old.close();
            }
            if (isTrainable) {
                trainable.add(key);
            } else {
                trainable.remove(key);
            }
        }

        @Override
        public void update(String key, HostTensor value) {
            if (adapters.containsKey(key)) {
                put(key, value, trainable.contains(key));
            } else if (replaced.containsKey(key)) {
                boolean wasTrainable = trainable.contains(key);
                replaceBase(key, value);
                if (wasTrainable) {
                    trainable.add(key);
                }
            } else {
                throw new Peft4jException("no trainable parameter '" + key + "' to update");
            }
        }

        @Override
        public HostTensor get(String key) {
            NDArray a = param(key);
            return new HostTensor(a.getShape().getShape(), a.toFloatArray());
        }

        @Override
        public boolean contains(String key) {
            return adapters.containsKey(key) || checkpoint.contains(key);
        }

        @Override
        public void remove(String key) {
            NDArray old = adapters.remove(key);
            trainable.remove(key);
            if (old != null) {
                old.close();
            }
        }

        @Override
        public Set<String> adapterKeys() {
            return Collections.unmodifiableSet(new LinkedHashSet<>(new TreeSet<>(adapters.keySet())));
        }

        @Override
        public Set<String> trainableKeys() {
            return Collections.unmodifiableSet(new TreeSet<>(trainable));
        }

        @Override
        public void setTrainable(String key, boolean isTrainable) {
            if (!contains(key)) {
                throw new Peft4jException("no parameter '" + key + "'");
            }
            if (isTrainable && !adapters.containsKey(key) && !replaced.containsKey(key)) {
                // A trainable base weight needs its own writable copy, not the read-only mapped file.
                replaceBase(key, get(key));
            }
            if (isTrainable) {
                trainable.add(key);
            } else {
                trainable.remove(key);
            }
        }

        @Override
        public void replaceBase(String key, HostTensor value) {
            if (!checkpoint.contains(key)) {
                throw new Peft4jException("no base weight '" + key + "'");
            }
            long[] expected = checkpoint.info(key).shape();
            if (!Arrays.equals(expected, value.shape())) {
                throw new Peft4jException("base weight '" + key + "' has shape " + Arrays.toString(expected)
                        + ", replacement has " + Arrays.toString(value.shape()));
            }
            NDArray a;
            synchronized (adapterManager) {
                a = PtOps.torchOwned(adapterManager.create(value.data(), new Shape(value.shape())));
            }
            NDArray old = replaced.put(key, a);
            if (old != null) {
                old.close();
            }
        }

        @Override
        public void restoreBase(String key) {
            NDArray old = replaced.remove(key);
            trainable.remove(key);
            if (old != null) {
                old.close();
            }
        }

        @Override
        public boolean isBaseReplaced(String key) {
            return replaced.containsKey(key);
        }
    }
}
