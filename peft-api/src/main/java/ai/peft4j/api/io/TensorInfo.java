package ai.peft4j.api.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * Where one tensor lives in a safetensors file, as validated by {@link SafetensorsFile#open}.
 * {@code dataOffset} is absolute (it counts the 8-byte length and the header), so ONNX external
 * data can point straight into the file.
 *
 * <pre>{@code
 * TensorInfo info = file.info("lm_head.weight");
 * long[] shape = info.shape();                         // [1250, 64]
 * onnxExternal.put("offset", info.dataOffset());
 * onnxExternal.put("length", info.byteLength());
 * }</pre>
 *
 * @param name tensor name as in the header
 * @param dtype element type
 * @param shape dimensions (the accessor returns a copy)
 * @param dataOffset absolute byte offset of the first element in the file
 * @param byteLength number of bytes, {@code numel() * dtype.byteSize()}
 */
public record TensorInfo(String name, DType dtype, long[] shape, long dataOffset, long byteLength) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (the shape's product; 1 for a scalar). */
    public long numel() {
        return byteLength / dtype.byteSize();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && dataOffset == t.dataOffset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), dataOffset, byteLength);
    }

    @Override
    public String toString() {
        return "TensorInfo[" + name + " " + dtype + Arrays.toString(shape) + " @" + dataOffset + "+" + byteLength + "]";
    }
}
