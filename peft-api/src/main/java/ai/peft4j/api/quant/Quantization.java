package ai.peft4j.api.quant;

import ai.peft4j.api.Peft4jException;
import java.util.Locale;

/**
 * How the frozen linear weights of a base are held in memory.
 *
 * <ul>
 *   <li>{@link #NONE}: the checkpoint's stored precision (F32 or F16, memory-mapped).
 *   <li>{@link #INT8}: symmetric int8 codes with one float scale per output channel.
 *   <li>{@link #INT4}: symmetric 4-bit codes in blocks along the input axis (default 32), one
 *       float scale per block, zero point 8, two codes per byte, low nibble first: exactly the
 *       {@code B}/{@code scales} inputs of ONNX Runtime's {@code MatMulNBits}, so the ONNX engine
 *       runs the same bytes with its own kernel. NF4 (bitsandbytes) is not offered: its codebook
 *       has no ONNX Runtime kernel, and int4 with 32-wide blocks is as accurate in practice.
 * </ul>
 *
 * <pre>{@code
 * Quantization q = Quantization.parse("int4");
 * QuantizedWeight w = QuantizedWeight.quantize(weights, out, in, q, 32);
 * }</pre>
 */
public enum Quantization {
    NONE("none", 0),
    INT8("int8", 8),
    INT4("int4", 4);

    /** The block size {@link #INT4} uses unless told otherwise (as MatMulNBits' common default). */
    public static final int DEFAULT_BLOCK_SIZE = 32;

    private final String id;
    private final int bits;

    Quantization(String id, int bits) {
        this.id = id;
        this.bits = bits;
    }

    /** The name in settings and on the command line: {@code none}, {@code int8}, {@code int4}. */
    public String id() {
        return id;
    }

    /** Bits per weight code (0 for {@link #NONE}). */
    public int bits() {
        return bits;
    }

    /** Parses a setting; null or empty is {@link #NONE}. Unknown names fail listing the known ones. */
    public static Quantization parse(String name) {
        if (name == null || name.isBlank()) {
            return NONE;
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (Quantization q : values()) {
            if (q.id.equals(n)) {
                return q;
            }
        }
        if (n.equals("nf4") || n.equals("fp4")) {
            throw new Peft4jException("quantization '" + name + "' is not offered: use int4 (4-bit blocks in ONNX Runtime's "
                    + "MatMulNBits layout, which both engines run); known: none, int8, int4");
        }
        throw new Peft4jException("unknown quantization '" + name + "'; known: none, int8, int4");
    }

    /**
     * Checks a 4-bit block size: a power of two from 16 to 256, as {@code MatMulNBits} requires.
     *
     * @return the block size
     */
    public static int checkBlockSize(int blockSize) {
        if (blockSize < 16 || blockSize > 256 || Integer.bitCount(blockSize) != 1) {
            throw new Peft4jException("quantization block size " + blockSize + " is not a power of two from 16 to 256");
        }
        return blockSize;
    }

    /** Bytes a {@code rows x cols} weight takes in this scheme (codes plus float scales). */
    public long bytes(long rows, long cols, int blockSize) {
        switch (this) {
            case INT8:
                return rows * cols + rows * 4;
            case INT4: {
                long blocks = (cols + blockSize - 1) / blockSize;
                return rows * blocks * (blockSize / 2) + rows * blocks * 4;
            }
            default:
                return rows * cols * 4;
        }
    }
}
