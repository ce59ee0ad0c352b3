package ai.peft4j.api.io;

import java.nio.ByteBuffer;
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
