package ai.peft4j.api.quant;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.io.TensorInfo;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * One frozen linear weight, quantized, always laid out {@code [out, in]} (rows are output
 * channels) whatever the checkpoint's layout, so {@code y = x · dequantize()ᵀ}.
 *
 * <ul>
 *   <li>int8: {@code codes} is {@code [out, in]} signed bytes, {@code scales} {@code [out]};
 *       {@code w = code * scale} with {@code scale = max|row| / 127}: error at most
 *       {@code scale / 2} per element.
 *   <li>int4: {@code codes} is {@code [out, blocks, blockSize / 2]} bytes (two 4-bit codes each,
 *       low nibble first), {@code scales} {@code [out, blocks]}; {@code w = (code - 8) * scale}
 *       with {@code scale = m / -8} where {@code m} is the block's value of largest magnitude, so
 *       that value is exact; error at most {@code |scale|} per element (a value of sign opposite to
 *       {@code m} and magnitude near {@code |m|} is clamped from +8 to +7), about half that on
 *       average. A last, partial block is padded with zeros.
 * </ul>
 *
 * <pre>{@code
 * QuantizedWeight q = QuantizedWeight.quantize(w, 768, 768, Quantization.INT4, 32);
 * float[] back = q.dequantize();                    // within q.errorBound(row, col) of w
 * }</pre>
 */
public final class QuantizedWeight {
    private final Quantization scheme;
    private final int rows;
    private final int cols;
    private final int blockSize;
    private final byte[] codes;
    private final float[] scales;

    /**
     * Wraps codes and scales made elsewhere (a file, another quantizer), checking that their sizes
     * are consistent with the scheme and shape.
     */
    public QuantizedWeight(Quantization scheme, int rows, int cols, int blockSize, byte[] codes, float[] scales) {
        if (scheme == Quantization.NONE) {
            throw new Peft4jException("a quantized weight needs a scheme other than none");
        }
        if (rows <= 0 || cols <= 0) {
            throw new Peft4jException("quantized weight shape [" + rows + ", " + cols + "] is empty");
        }
        int bs = scheme == Quantization.INT4 ? Quantization.checkBlockSize(blockSize) : cols;
        int blocks = (cols + bs - 1) / bs;
        long expectCodes = scheme == Quantization.INT4 ? (long) rows * blocks * (bs / 2) : (long) rows * cols;
        long expectScales = scheme == Quantization.INT4 ? (long) rows * blocks : rows;
        if (codes.length != expectCodes || scales.length != expectScales) {
            throw new Peft4jException("inconsistent " + scheme.id() + " weight [" + rows + ", " + cols + "] (block " + bs + "): "
                    + codes.length + " code bytes and " + scales.length + " scales, expected " + expectCodes + " and " + expectScales);
        }
        for (float s : scales) {
            if (!Float.isFinite(s)) {
                throw new Peft4jException("inconsistent " + scheme.id() + " weight: a scale is " + s);
            }
        }
        this.scheme = scheme;
        this.rows = rows;
        this.cols = cols;
        this.blockSize = bs;
        this.codes = codes;
        this.scales = scales;
    }

    /** Float32 values {@link #fromCheckpoint} widens at once for an {@code [out, in]} weight (16 MiB). */
    static final int SLAB_VALUES = 1 << 22;

    /** Quantizes a row-major {@code [rows, cols]} float weight (rows = output channels). */
    public static QuantizedWeight quantize(float[] w, int rows, int cols, Quantization scheme, int blockSize) {
        if (w.length != (long) rows * cols) {
            throw new Peft4jException("weight has " + w.length + " values, not " + rows + " x " + cols);
        }
        QuantizedWeight q = empty(rows, cols, scheme, blockSize);
        q.quantizeRows(w, 0, rows);
        return q;
    }

    /** A weight of {@code rows x cols} with every code and scale still zero, filled by {@link #quantizeRows}. */
    private static QuantizedWeight empty(int rows, int cols, Quantization scheme, int blockSize) {
        switch (scheme) {
            case INT8:
                return new QuantizedWeight(Quantization.INT8, rows, cols, cols, new byte[Math.multiplyExact(rows, cols)], new float[rows]);
            case INT4: {
                int bs = Quantization.checkBlockSize(blockSize);
                int blocks = (cols + bs - 1) / bs;
                return new QuantizedWeight(Quantization.INT4, rows, cols, bs, new byte[Math.multiplyExact(rows, blocks * (bs / 2))],
                        new float[Math.multiplyExact(rows, blocks)]);
            }
            default:
                throw new Peft4jException("quantize needs int8 or int4, not " + scheme.id());
        }
    }

    /**
     * Quantizes rows {@code [first, first + count)} from {@code w}, which holds exactly those rows
     * (row-major): each row's codes and scales depend on that row alone, so a weight can be
     * quantized a slab of rows at a time.
     */
    private void quantizeRows(float[] w, int first, int count) {
        for (int i = 0; i < count * cols; i++) {
            if (!Float.isFinite(w[i])) {
                throw new Peft4jException("cannot quantize a weight holding " + w[i] + " (row " + (first + i / cols) + ", column "
                        + i % cols + ")");
            }
        }
        if (scheme == Quantization.INT8) {
            int8Rows(w, first, count, cols, codes, scales);
        } else {
            int4Rows(w, first, count, cols, blockSize, codes, scales);
        }
    }

    private static void int8Rows(float[] w, int first, int count, int cols, byte[] codes, float[] scales) {
        IntStream.range(0, count).parallel().forEach(local -> {
            int r = first + local;
            float max = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(w[local * cols + c]));
            }
            float scale = max / 127f;
            scales[r] = scale;
            float inv = scale == 0 ? 0 : 1f / scale;
            for (int c = 0; c < cols; c++) {
                codes[r * cols + c] = (byte) Math.max(-127, Math.min(127, Math.round(w[local * cols + c] * inv)));
            }
        });
    }

    private static void int4Rows(float[] w, int first, int count, int cols, int bs, byte[] codes, float[] scales) {
        int blocks = (cols + bs - 1) / bs;
        int blob = bs / 2;
        IntStream.range(0, count).parallel().forEach(local -> {
            int r = first + local;
            for (int b = 0; b < blocks; b++) {
                int c0 = b * bs;
                int c1 = Math.min(cols, c0 + bs);
                float m = 0;
                for (int c = c0; c < c1; c++) {
                    float v = w[local * cols + c];
                    if (Math.abs(v) > Math.abs(m)) {
                        m = v;
                    }
                }
                float scale = m / -8f;
                scales[r * blocks + b] = scale;
                float inv = scale == 0 ? 0 : 1f / scale;
                int base = (r * blocks + b) * blob;
                for (int j = 0; j < bs; j++) {
                    int c = c0 + j;
                    int q = c < c1 ? Math.max(0, Math.min(15, Math.round(w[local * cols + c] * inv) + 8)) : 8;
                    if ((j & 1) == 0) {
                        codes[base + j / 2] = (byte) q;
                    } else {
                        codes[base + j / 2] |= (byte) (q << 4);
                    }
                }
            }
        });
    }

    /**
     * Reads a linear weight from a checkpoint and quantizes it, without paging the stored bytes into
     * this process (positional reads, a few rows at a time for {@code [out, in]} weights).
     *
     * @param inOut whether the checkpoint stores the weight {@code [in, out]} (GPT-2's Conv1D); it is
     *     transposed to {@code [out, in]}
     */
    public static QuantizedWeight fromCheckpoint(Checkpoint checkpoint, String key, boolean inOut, Quantization scheme,
            int blockSize) {
        TensorInfo info = checkpoint.info(key);
        long[] shape = info.shape();
        if (shape.length != 2) {
            throw new Peft4jException(checkpoint.directory() + ": '" + key + "' has shape " + Arrays.toString(shape)
                    + "; only 2-D linear weights are quantized");
        }
        int d0 = Math.toIntExact(shape[0]);
        int d1 = Math.toIntExact(shape[1]);
        if (!inOut) {
            return fromRows(checkpoint.file(key), info.name(), d0, d1, scheme, blockSize, SLAB_VALUES);
        }
        float[] w = new float[Math.multiplyExact(d0, d1)];
        checkpoint.file(key).readRowsUnmapped(info.name(), 0, d0, w);
        float[] t = new float[w.length];
        IntStream.range(0, d1).parallel().forEach(o -> {
            for (int i = 0; i < d0; i++) {
                t[o * d0 + i] = w[i * d1 + o];
            }
        });
        return quantize(t, d1, d0, scheme, blockSize);
    }

    /**
     * Quantizes the {@code [rows, cols]} tensor {@code name} of {@code file} a slab of rows at a
     * time, so its float32 copy never exceeds {@code slabValues} (a GPT-J MLP weight is 268 MB in
     * float32 and 34 MB as int4 codes). Equal, bit for bit, to quantizing the whole weight at once.
     */
    static QuantizedWeight fromRows(SafetensorsFile file, String name, int rows, int cols, Quantization scheme, int blockSize,
            int slabValues) {
        QuantizedWeight q = empty(rows, cols, scheme, blockSize);
        int slab = Math.max(1, Math.min(rows, slabValues / cols));
        float[] w = new float[Math.multiplyExact(slab, cols)];
        for (int r0 = 0; r0 < rows; r0 += slab) {
            int n = Math.min(slab, rows - r0);
            file.readRowsUnmapped(name, r0, r0 + n, w);
            q.quantizeRows(w, r0, n);
        }
        return q;
    }

    /** The weight back in float32, row-major {@code [rows, cols]}. */
    public float[] dequantize() {
        float[] out = new float[rows * cols];
        if (scheme == Quantization.INT8) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    out[r * cols + c] = codes[r * cols + c] * scales[r];
                }
            }
            return out;
        }
        int blocks = blocks();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = (code(r, c) - 8) * scales[r * blocks + c / blockSize];
            }
        }
        return out;
    }

    /** The 4-bit code of element {@code (row, col)}, 0..15 (int4 only). */
    int code(int row, int col) {
        int b = col / blockSize;
        int j = col % blockSize;
        int v = codes[(row * blocks() + b) * (blockSize / 2) + j / 2] & 0xff;
        return (j & 1) == 0 ? v & 0x0f : v >>> 4;
    }

    /** The largest error dequantizing element {@code (row, col)} can have (see the class comment). */
    public float errorBound(int row, int col) {
        if (scheme == Quantization.INT8) {
            return scales[row] / 2 * (1 + 1e-6f) + Float.MIN_NORMAL;
        }
        return Math.abs(scales[row * blocks() + col / blockSize]) * (1 + 1e-6f) + Float.MIN_NORMAL;
    }

    public Quantization scheme() {
        return scheme;
    }

    /** Output channels. */
    public int rows() {
        return rows;
    }

    /** Input features. */
    public int cols() {
        return cols;
    }

    /** Elements per scale: {@code cols} for int8, the block size for int4. */
    public int blockSize() {
        return blockSize;
    }

    /** Blocks per row (1 for int8). */
    public int blocks() {
        return (cols + blockSize - 1) / blockSize;
    }

    /** The codes; see the class comment for the layout. Not copied: do not modify. */
    public byte[] codes() {
        return codes;
    }

    /** The scales; see the class comment for the layout. Not copied: do not modify. */
    public float[] scales() {
        return scales;
    }

    /** Bytes of codes plus scales. */
    public long bytes() {
        return codes.length + 4L * scales.length;
    }
}
