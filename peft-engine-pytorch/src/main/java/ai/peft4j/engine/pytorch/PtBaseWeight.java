package ai.peft4j.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.io.DType;
import ai.peft4j.api.io.FloatConversions;
import ai.peft4j.api.io.TensorInfo;
import ai.peft4j.api.quant.Quantization;
import ai.peft4j.api.quant.QuantizedWeight;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A frozen base weight as the PyTorch runtime holds it: dense in its precision at rest (F32 or
 * F16, the mapped file itself where the stored dtype is kept), or quantized (int8 per output
 * channel, int4 in {@code MatMulNBits} blocks). Ops widen it to float32 per use, in the caller's
 * scope, so at most one block's widened weights exist at a time outside autograd's saved tensors.
 */
final class PtBaseWeight {
    private static final Logger LOG = LoggerFactory.getLogger(PtBaseWeight.class);

    private final String key;
    private final NDArray values;
    private final NDArray scales;
    /** int4: {@code [256, 2]}, the two codes of each byte value minus the zero point, low nibble first. */
    private final NDArray nibbles;
    private final Quantization scheme;
    private final int rows;
    private final int cols;
    private final int blocks;
    private final int blockSize;
    /** How many times this weight was widened to float32 (tests check a chunked head widens once per step). */
    private final java.util.concurrent.atomic.AtomicLong widenings = new java.util.concurrent.atomic.AtomicLong();
    private final boolean inOut;
    private final long residentBytes;
    @SuppressWarnings("unused") // keeps a Java buffer that PyTorch wraps without copying reachable
    private final ByteBuffer keepAlive;

    private PtBaseWeight(String key, NDArray values, NDArray scales, Quantization scheme, int rows, int cols, int blockSize,
            boolean inOut, long residentBytes, ByteBuffer keepAlive) {
        this.key = key;
        this.values = values;
        this.scales = scales;
        this.scheme = scheme;
        this.nibbles = scheme == Quantization.INT4 ? nibbleTable(values.getManager()) : null;
        this.rows = rows;
        this.cols = cols;
        this.blockSize = blockSize;
        this.blocks = blockSize == 0 ? 0 : (cols + blockSize - 1) / blockSize;
        this.inOut = inOut;
        this.residentBytes = residentBytes;
        this.keepAlive = keepAlive;
    }

    /**
     * Loads a base weight by the options' policy.
     *
     * @param linearInOut null if the key is not a linear site's weight (never quantized); else
     *     whether the checkpoint stores it {@code [in, out]}
     */
    static PtBaseWeight load(NDManager m, Checkpoint c, String key, Boolean linearInOut, EngineOptions o) {
        TensorInfo info = c.info(key);
        Shape shape = new Shape(info.shape());
        if (linearInOut != null && o.quantization() != Quantization.NONE) {
            QuantizedWeight q = QuantizedWeight.fromCheckpoint(c, key, linearInOut, o.quantization(), o.quantizationBlockSize());
            return quantized(m, key, q, linearInOut);
        }
        DType stored = info.dtype();
        String want = o.weightDtype();
        boolean half = stored == DType.F16 && !want.equals("float32")
                || stored == DType.BF16 && !want.equals("float32")
                || stored == DType.F32 && want.equals("float16");
        if (!half) {
            ByteBuffer f32 = c.float32(key);
            return dense(m, key, m.create(f32, shape, DataType.FLOAT32), f32, shape.size() * 4);
        }
        if (stored == DType.F16) {
            ByteBuffer mapped = c.file(key).rawBuffer(info.name());
            return dense(m, key, m.create(mapped, shape, DataType.FLOAT16), mapped, shape.size() * 2);
        }
        ByteBuffer f16 = narrowToHalf(c, key, info, stored == DType.BF16);
        if (f16 == null) {
            LOG.warn("{}: BF16 tensor '{}' has values float16 cannot hold exactly; held as float32", c.directory(), key);
            ByteBuffer f32 = c.float32(key);
            return dense(m, key, m.create(f32, shape, DataType.FLOAT32), f32, shape.size() * 4);
        }
        return dense(m, key, m.create(f16, shape, DataType.FLOAT16), f16, shape.size() * 2);
    }

    /**
     * The tensor as float16 in a direct buffer, read without the mapping; null when a BF16 value
     * does not convert exactly (BF16 policy), and an error when an F32 value would overflow.
     */
    private static ByteBuffer narrowToHalf(Checkpoint c, String key, TensorInfo info, boolean fromBf16) {
        long rowsTotal = info.shape().length == 0 ? 1 : info.shape()[0];
        long perRow = rowsTotal == 0 ? 0 : info.numel() / rowsTotal;
        ByteBuffer out = ByteBuffer.allocateDirect(Math.toIntExact(info.numel() * 2)).order(ByteOrder.LITTLE_ENDIAN);
        int step = (int) Math.max(1, (1 << 20) / Math.max(1, perRow));
        float[] buf = new float[(int) (step * perRow)];
        for (long r = 0; r < rowsTotal; r += step) {
            long r1 = Math.min(rowsTotal, r + step);
            int n = (int) ((r1 - r) * perRow);
            c.file(key).readRowsUnmapped(info.name(), r, r1, buf);
            for (int i = 0; i < n; i++) {
                float v = buf[i];
                short h = FloatConversions.floatToHalf(v);
                if (FloatConversions.halfToFloat(h) != v && !Float.isNaN(v)) {
                    if (fromBf16) {
                        return null;
                    }
                    if (Float.isInfinite(FloatConversions.halfToFloat(h))) {
                        throw new Peft4jException(c.directory() + ": tensor '" + key + "' holds " + v
                                + ", beyond float16's range: load it with weight dtype float32 or auto");
                    }
                }
                out.putShort(h);
            }
        }
        out.flip();
        return out;
    }

    private static NDArray nibbleTable(NDManager m) {
        float[] t = new float[512];
        for (int b = 0; b < 256; b++) {
            t[2 * b] = (b & 0x0f) - 8;
            t[2 * b + 1] = (b >>> 4) - 8;
        }
        return PtOps.torchOwned(m.create(t, new Shape(256, 2)));
    }

    private static PtBaseWeight dense(NDManager m, String key, NDArray a, ByteBuffer keep, long bytes) {
        return new PtBaseWeight(key, a, null, Quantization.NONE, 0, 0, 0, false, bytes, keep);
    }

    private static PtBaseWeight quantized(NDManager m, String key, QuantizedWeight q, boolean inOut) {
        ByteBuffer codes = ByteBuffer.allocateDirect(q.codes().length).order(ByteOrder.LITTLE_ENDIAN);
        codes.put(q.codes()).flip();
        boolean int4 = q.scheme() == Quantization.INT4;
        Shape codeShape = int4 ? new Shape(q.rows(), q.blocks() * (q.blockSize() / 2)) : new Shape(q.rows(), q.cols());
        NDArray c = PtOps.torchOwned(m.create(codes, codeShape, int4 ? DataType.UINT8 : DataType.INT8));
        Shape scaleShape = int4 ? new Shape(q.rows(), q.blocks(), 1) : new Shape(q.rows(), 1);
        NDArray s = PtOps.torchOwned(m.create(q.scales(), scaleShape));
        return new PtBaseWeight(key, c, s, q.scheme(), q.rows(), q.cols(), q.blockSize(), inOut, q.bytes(), null);
    }

    /** Whether the weight is float32 as held, so ops may use {@link #raw()} directly. */
    boolean isFloat32() {
        return scheme == Quantization.NONE && values.getDataType() == DataType.FLOAT32;
    }

    boolean isQuantized() {
        return scheme != Quantization.NONE;
    }

    Quantization scheme() {
        return scheme;
    }

    /** The array as held (codes for a quantized weight); owned by the runtime, never close it. */
    NDArray raw() {
        return values;
    }

    /** Bytes this weight keeps resident (codes plus scales when quantized). */
    long residentBytes() {
        return residentBytes;
    }

    /** The weight in float32, in the checkpoint's shape and layout, owned by {@code scope}. */
    long widenings() {
        return widenings.get();
    }

    NDArray toFloat32(NDManager scope) {
        if (isFloat32()) {
            return values;
        }
        widenings.incrementAndGet();
        // An op's result belongs to its first operand's manager, here the runtime's long-lived one:
        // move the first result into a temporary manager at once, so every intermediate lands there
        // and is freed below (only the result moves to the caller's scope).
        try (NDManager tmp = scope.newSubManager()) {
            NDArray w;
            if (scheme == Quantization.NONE) {
                w = values.toType(DataType.FLOAT32, false);
                w.attach(tmp);
            } else if (scheme == Quantization.INT8) {
                NDArray codes = values.toType(DataType.FLOAT32, false);
                codes.attach(tmp);
                w = codes.mul(scales);
            } else {
                // Each byte is two codes, low nibble first: one gather from a 256-row table gives both,
                // centred, in three passes over the weight (widen the index, gather, scale).
                NDArray idx = values.toType(DataType.INT64, false);
                idx.attach(tmp);
                NDArray pairs = idx.getNDArrayInternal().embedding(idx, nibbles, SparseFormat.DENSE).singletonOrThrow();
                pairs.attach(tmp);
                w = pairs.reshape(rows, blocks, blockSize).mul(scales).reshape(rows, (long) blocks * blockSize);
                if (blocks * blockSize != cols) {
                    w = w.get(new NDIndex(":, :" + cols));
                }
            }
            if (inOut) {
                w = w.transpose();
            }
            w.attach(scope);
            return w;
        }
    }

    /** Embedding rows for {@code ids}, float32 in {@code scope}, without widening the whole table. */
    NDArray rows(NDArray ids, NDManager scope) {
        if (scheme != Quantization.NONE) {
            NDArray w = toFloat32(scope);
            NDArray r = ids.getNDArrayInternal().embedding(ids, w, SparseFormat.DENSE).singletonOrThrow();
            r.attach(scope);
            return r;
        }
        NDArray r = ids.getNDArrayInternal().embedding(ids, values, SparseFormat.DENSE).singletonOrThrow();
        NDArray f = r.getDataType() == DataType.FLOAT32 ? r : r.toType(DataType.FLOAT32, false);
        f.attach(scope);
        if (f != r) {
            r.attach(scope);
        }
        return f;
    }

    @Override
    public String toString() {
        return key + (isQuantized() ? " (" + scheme.id() + ")" : " (" + values.getDataType() + ")");
    }
}
