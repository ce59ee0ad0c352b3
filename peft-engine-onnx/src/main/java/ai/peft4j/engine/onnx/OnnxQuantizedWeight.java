package ai.peft4j.engine.onnx;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.quant.Quantization;
import ai.peft4j.api.quant.QuantizedWeight;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A quantized frozen linear weight as the ONNX engine holds it: the {@code B} and {@code scales}
 * inputs of ONNX Runtime's {@code com.microsoft.MatMulNBits}, in off-heap buffers that the
 * sessions read in place (no zero points: the kernel's default, {@code 2^(bits-1)}).
 *
 * <ul>
 *   <li>int4: {@link QuantizedWeight}'s codes and scales as they are (its layout is
 *       MatMulNBits' 4-bit layout, zero point 8).
 *   <li>int8: {@code bits = 8}. {@link QuantizedWeight}'s signed codes with one scale per row
 *       become unsigned codes (zero point 128) in blocks (see {@link #int8Block}), every block of a
 *       row repeating the row's scale, so {@code (u - 128) * scale} is exactly {@code code * scale}.
 *       ONNX Runtime 1.23's CPU kernel runs 8-bit MatMulNBits; the alternative,
 *       {@code DequantizeLinear} + {@code MatMul}, would widen the whole weight to float32 on every
 *       run.
 * </ul>
 *
 * <pre>{@code
 * OnnxQuantizedWeight w = OnnxQuantizedWeight.of(QuantizedWeight.fromCheckpoint(ckpt, key, true, Quantization.INT4, 32), true, 0);
 * // graph: MatMulNBits(x, B, scales) with K = w.cols(), N = w.rows(), bits = w.bits(), block_size = w.blockSize()
 * }</pre>
 */
final class OnnxQuantizedWeight {
    private final Quantization scheme;
    private final int rows;
    private final int cols;
    private final int blockSize;
    private final boolean inOut;
    private final ByteBuffer codes;
    private final ByteBuffer scales;

    private OnnxQuantizedWeight(Quantization scheme, int rows, int cols, int blockSize, boolean inOut, ByteBuffer codes,
            ByteBuffer scales) {
        this.scheme = scheme;
        this.rows = rows;
        this.cols = cols;
        this.blockSize = blockSize;
        this.inOut = inOut;
        this.codes = codes;
        this.scales = scales;
    }

    /**
     * The MatMulNBits form of {@code q}.
     *
     * @param inOut whether the checkpoint stores the weight {@code [in, out]} (only for
     *     {@link #dequantizedInCheckpointLayout})
     * @param int8Block a fixed int8 block size for experiments (engine property
     *     {@code onnx.int8_block_size}); 0 picks one per weight
     */
    static OnnxQuantizedWeight of(QuantizedWeight q, boolean inOut, int int8Block) {
        int rows = q.rows();
        int cols = q.cols();
        if (q.scheme() == Quantization.INT4) {
            ByteBuffer c = ByteBuffer.allocateDirect(q.codes().length).order(ByteOrder.LITTLE_ENDIAN);
            c.put(q.codes()).flip();
            return new OnnxQuantizedWeight(Quantization.INT4, rows, cols, q.blockSize(), inOut, c, floats(q.scales()));
        }
        if (q.scheme() != Quantization.INT8) {
            throw new Peft4jException("the onnx engine quantizes to int8 or int4, not " + q.scheme().id());
        }
        int bs = int8Block > 0 ? Quantization.checkBlockSize(int8Block) : int8Block(cols);
        int blocks = (cols + bs - 1) / bs;
        byte[] src = q.codes();
        ByteBuffer c = ByteBuffer.allocateDirect(Math.multiplyExact(rows, blocks * bs)).order(ByteOrder.LITTLE_ENDIAN);
        float[] s = new float[rows * blocks];
        byte[] row = new byte[blocks * bs];
        for (int r = 0; r < rows; r++) {
            // signed code -> unsigned with zero point 128 (flip the sign bit); padding is the zero point
            java.util.Arrays.fill(row, (byte) 0x80);
            for (int k = 0; k < cols; k++) {
                row[k] = (byte) (src[r * cols + k] ^ 0x80);
            }
            c.put(row);
            java.util.Arrays.fill(s, r * blocks, (r + 1) * blocks, q.scales()[r]);
        }
        c.flip();
        return new OnnxQuantizedWeight(Quantization.INT8, rows, cols, bs, inOut, c, floats(s));
    }

    /**
     * The int8 block that stores a row in the fewest bytes: padding to whole blocks against one
     * repeated 4-byte scale per block (256 for GPT-2's 768 and 3072, 64 for a 64-wide toy model).
     */
    static int int8Block(int cols) {
        int best = 256;
        long bestBytes = Long.MAX_VALUE;
        for (int bs = 256; bs >= 16; bs /= 2) {
            long blocks = (cols + bs - 1) / bs;
            long bytes = blocks * bs + blocks * 4;
            if (bytes < bestBytes) {
                best = bs;
                bestBytes = bytes;
            }
        }
        return best;
    }

    private static ByteBuffer floats(float[] v) {
        ByteBuffer b = ByteBuffer.allocateDirect(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b;
    }

    Quantization scheme() {
        return scheme;
    }

    /** MatMulNBits' {@code bits}. */
    int bits() {
        return scheme.bits();
    }

    /** Output channels: MatMulNBits' {@code N}. */
    int rows() {
        return rows;
    }

    /** Input features: MatMulNBits' {@code K}. */
    int cols() {
        return cols;
    }

    int blockSize() {
        return blockSize;
    }

    int blocks() {
        return (cols + blockSize - 1) / blockSize;
    }

    /** The shape of {@code B}: {@code [N, blocks, blockSize * bits / 8]}. */
    long[] codeShape() {
        return new long[] {rows, blocks(), (long) blockSize * bits() / 8};
    }

    /** The shape of {@code scales}: {@code [N * blocks]}. */
    long[] scaleShape() {
        return new long[] {(long) rows * blocks()};
    }

    /** {@code B}'s bytes, read-only view from position 0. */
    ByteBuffer codes() {
        return codes.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN).rewind();
    }

    /** {@code scales}' bytes (little-endian float32), read-only view from position 0. */
    ByteBuffer scales() {
        return scales.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN).rewind();
    }

    /** The scales as ONNX Runtime wraps them (no copy). */
    FloatBuffer scaleFloats() {
        return scales.duplicate().order(ByteOrder.LITTLE_ENDIAN).rewind().asFloatBuffer();
    }

    /** The codes buffer itself, for ONNX Runtime to wrap (no copy). */
    ByteBuffer codeBuffer() {
        return codes.duplicate().order(ByteOrder.LITTLE_ENDIAN).rewind();
    }

    /** Bytes held off-heap: codes plus scales. */
    long bytes() {
        return codes.capacity() + (long) scales.capacity();
    }

    /** The weight as the kernel sees it, in float32, in the checkpoint's shape and layout. */
    HostTensor dequantizedInCheckpointLayout() {
        float[] w = new float[rows * cols];
        int blocks = blocks();
        int bytesPerBlock = blockSize * bits() / 8;
        FloatBuffer s = scaleFloats();
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                int b = k / blockSize;
                int j = k % blockSize;
                int code;
                if (scheme == Quantization.INT4) {
                    int v = codes.get((r * blocks + b) * bytesPerBlock + j / 2) & 0xff;
                    code = ((j & 1) == 0 ? v & 0x0f : v >>> 4) - 8;
                } else {
                    code = (codes.get((r * blocks + b) * bytesPerBlock + j) & 0xff) - 128;
                }
                float v = code * s.get(r * blocks + b);
                if (inOut) {
                    w[k * rows + r] = v;
                } else {
                    w[r * cols + k] = v;
                }
            }
        }
        return inOut ? new HostTensor(new long[] {cols, rows}, w) : new HostTensor(new long[] {rows, cols}, w);
    }
}
