package ai.peft4j.api.io;

import ai.peft4j.api.Peft4jException;
import java.util.Arrays;

/**
 * A small float32 tensor on the Java heap, row-major, for adapter weights and file IO.
 * Base-model weights stay off-heap; see {@link SafetensorsFile#readFloat32Direct(String)}.
 *
 * <pre>{@code
 * HostTensor b = HostTensor.zeros(64, 4);         // LoRA B starts at zero
 * b.data()[0] = 1f;                               // the backing array, row-major
 * HostTensor a = new HostTensor(new long[] {2, 2}, new float[] {1, 2, 3, 4});
 * }</pre>
 */
public final class HostTensor {
    private final long[] shape;
    private final float[] data;

    /**
     * Wraps {@code data} (not copied) as a tensor of the given shape.
     *
     * @throws Peft4jException if a dimension is negative or the shape's product is not {@code data.length}
     */
    public HostTensor(long[] shape, float[] data) {
        if (shape == null || data == null) {
            throw new Peft4jException("HostTensor: shape and data must not be null");
        }
        long n = numelOf(shape);
        if (n != data.length) {
            throw new Peft4jException("HostTensor: shape " + Arrays.toString(shape) + " holds " + n
                    + " elements but data has " + data.length);
        }
        this.shape = shape.clone();
        this.data = data;
    }

    /** A tensor of zeros; the element count must fit in a Java array. */
    public static HostTensor zeros(long... shape) {
        long n = numelOf(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new Peft4jException("HostTensor: shape " + Arrays.toString(shape) + " is too large for the heap");
        }
        return new HostTensor(shape, new float[(int) n]);
    }

    private static long numelOf(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new Peft4jException("HostTensor: negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new Peft4jException("HostTensor: shape " + Arrays.toString(shape) + " overflows a long");
            }
        }
        return n;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    /** The backing array, row-major; writes change this tensor. */
    public float[] data() {
        return data;
    }

    public int rank() {
        return shape.length;
    }

    public long numel() {
        return data.length;
    }

    /** A deep copy. */
    public HostTensor copy() {
        return new HostTensor(shape, data.clone());
    }

    /**
     * The largest absolute element-wise difference; 0 where bits are equal (so equal NaNs and
     * infinities count as equal), NaN if a NaN meets a different value.
     *
     * @throws Peft4jException if the shapes differ
     */
    public float maxAbsDiff(HostTensor other) {
        if (!Arrays.equals(shape, other.shape)) {
            throw new Peft4jException("HostTensor: cannot compare shape " + Arrays.toString(shape)
                    + " with " + Arrays.toString(other.shape));
        }
        float max = 0f;
        for (int i = 0; i < data.length; i++) {
            float a = data[i];
            float b = other.data[i];
            if (Float.floatToIntBits(a) == Float.floatToIntBits(b)) {
                continue;
            }
            float d = Math.abs(a - b);
            if (Float.isNaN(d)) {
                return Float.NaN;
            }
            max = Math.max(max, d);
        }
        return max;
    }

    /** Equal when shapes are equal and every element has the same bits ({@link Float#floatToIntBits}). */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof HostTensor)) {
            return false;
        }
        HostTensor t = (HostTensor) o;
        return Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    /** For example {@code HostTensor[4, 64] [0.1, -0.2, 0.3, ...]}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("HostTensor").append(Arrays.toString(shape)).append(" [");
        int shown = Math.min(data.length, 4);
        for (int i = 0; i < shown; i++) {
            sb.append(i == 0 ? "" : ", ").append(data[i]);
        }
        return sb.append(data.length > shown ? ", ...]" : "]").toString();
    }
}
