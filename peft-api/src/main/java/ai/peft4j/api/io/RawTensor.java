package ai.peft4j.api.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor given as little-endian bytes in its own dtype, for writing without a float32 copy
 * (for example a merged checkpoint kept in BF16, or slices of a mapped file).
 * The writer reads {@code bytes} from its position to its limit and does not move them.
 *
 * <pre>{@code
 * try (SafetensorsFile in = SafetensorsFile.open(src)) {
 *   Map<String, RawTensor> out = new LinkedHashMap<>();
 *   for (TensorInfo t : in.tensors().values()) {
 *     out.put(t.name(), new RawTensor(t.dtype(), t.shape(), in.rawBuffer(t.name())));
 *   }
 *   SafetensorsWriter.writeRaw(dst, out, in.metadata());
 * }
 * }</pre>
 *
 * @param dtype element type of {@code bytes}
 * @param shape dimensions (the accessor returns a copy)
 * @param bytes exactly {@code numel * dtype.byteSize()} remaining bytes
 */
public record RawTensor(DType dtype, long[] shape, ByteBuffer bytes) {

    public RawTensor {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(bytes, "bytes");
        shape = shape.clone();
    }

    /**
     * A float32 host tensor encoded as {@code dtype} (F32, F16 or BF16; narrowing rounds to
     * nearest even, as PyTorch does), for writing beside raw tensors of other dtypes.
     */
    public static RawTensor of(HostTensor t, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new SafetensorsException("cannot encode float32 values as " + dtype + "; use F32, F16 or BF16");
        }
        float[] data = t.data();
        ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(data.length, dtype.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        if (dtype == DType.F32) {
            buf.asFloatBuffer().put(data);
        } else {
            boolean half = dtype == DType.F16;
            for (int i = 0; i < data.length; i++) {
                buf.putShort(i * 2, half ? FloatConversions.floatToHalf(data[i]) : FloatConversions.floatToBf16(data[i]));
            }
        }
        return new RawTensor(dtype, t.shape(), buf);
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawTensor t && dtype == t.dtype && Arrays.equals(shape, t.shape) && bytes.equals(t.bytes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dtype, Arrays.hashCode(shape), bytes);
    }

    @Override
    public String toString() {
        return "RawTensor[" + dtype + Arrays.toString(shape) + ", " + bytes.remaining() + " bytes]";
    }
}
