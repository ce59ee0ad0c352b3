package ai.peft4j.engine.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.KvCache;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The present key/value tensors of the last run, {@code [b, kvHeads, len, d]} per layer, kept as
 * native ONNX Runtime values and fed back as the next run's past without a host copy. Beam
 * reordering copies through the host once per reorder.
 *
 * <pre>{@code
 * try (KvCache cache = runtime.newCache()) {
 *   runtime.forward(ForwardRequest.start(ids, null, HookSet.EMPTY, null, true), cache);
 *   cache.reorder(new int[] {0, 0}); // two beams from row 0
 * }
 * }</pre>
 */
final class OnnxKvCache implements KvCache {
    private final OrtEnvironment env;
    private final int layers;
    private OnnxTensor[] keys;
    private OnnxTensor[] values;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private int length;
    private int batch = -1;
    private boolean closed;

    OnnxKvCache(OrtEnvironment env, int layers) {
        this.env = env;
        this.layers = layers;
    }

    @Override
    public int length() {
        return length;
    }

    /** The batch size of the cached rows, or -1 when empty. */
    @Override
    public int batch() {
        return batch;
    }

    boolean isEmpty() {
        return keys == null;
    }

    OnnxTensor key(int layer) {
        return keys[layer];
    }

    OnnxTensor value(int layer) {
        return values[layer];
    }

    /** Takes the presents of a run; the cache now owns (and later closes) the result. */
    void take(OrtSession.Result result) {
        checkOpen();
        OnnxTensor[] k = new OnnxTensor[layers];
        OnnxTensor[] v = new OnnxTensor[layers];
        for (int i = 0; i < layers; i++) {
            k[i] = tensor(result, OnnxOps.presentKey(i));
            v[i] = tensor(result, OnnxOps.presentValue(i));
        }
        release();
        owned.add(result);
        keys = k;
        values = v;
        long[] shape = k[0].getInfo().getShape();
        batch = (int) shape[0];
        length = (int) shape[2];
    }

    private static OnnxTensor tensor(OrtSession.Result result, String name) {
        OnnxValue value = result.get(name).orElseThrow(() -> new Peft4jException("onnx graph has no output '" + name + "'"));
        return (OnnxTensor) value;
    }

    @Override
    public void reorder(int[] rows) {
        checkOpen();
        if (keys == null) {
            return;
        }
        for (int r : rows) {
            if (r < 0 || r >= batch) {
                throw new Peft4jException("cache reorder: row " + r + " out of range for a batch of " + batch);
            }
        }
        OnnxTensor[] k = new OnnxTensor[layers];
        OnnxTensor[] v = new OnnxTensor[layers];
        List<AutoCloseable> fresh = new ArrayList<>();
        try {
            for (int i = 0; i < layers; i++) {
                k[i] = gather(keys[i], rows);
                fresh.add(k[i]);
                v[i] = gather(values[i], rows);
                fresh.add(v[i]);
            }
        } catch (OrtException e) {
            fresh.forEach(OnnxKvCache::closeQuietly);
            throw new Peft4jException("onnx cache reorder failed: " + e.getMessage(), e);
        }
        release();
        owned.addAll(fresh);
        keys = k;
        values = v;
        batch = rows.length;
    }

    private OnnxTensor gather(OnnxTensor t, int[] rows) throws OrtException {
        long[] shape = t.getInfo().getShape();
        int rowSize = (int) (shape[1] * shape[2] * shape[3]);
        FloatBuffer src = t.getFloatBuffer();
        ByteBuffer dst = ByteBuffer.allocateDirect(rows.length * rowSize * 4).order(ByteOrder.nativeOrder());
        FloatBuffer out = dst.asFloatBuffer();
        float[] row = new float[rowSize];
        for (int r : rows) {
            src.position(r * rowSize);
            src.get(row);
            out.put(row);
        }
        out.rewind();
        long[] newShape = shape.clone();
        newShape[0] = rows.length;
        return OnnxTensor.createTensor(env, out, newShape);
    }

    private void release() {
        owned.forEach(OnnxKvCache::closeQuietly);
        owned.clear();
        keys = null;
        values = null;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing native values cannot meaningfully fail; nothing to recover
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new Peft4jException("the onnx kv cache is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
        release();
        length = 0;
        batch = -1;
    }
}
