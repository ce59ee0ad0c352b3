package ai.peft4j.engine.onnx;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.io.DType;
import ai.peft4j.api.io.FloatConversions;
import ai.peft4j.api.io.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base weights held in float16 for {@code weightDtype float16}: an F16 tensor is the mapped file
 * itself; an F32 one is narrowed once into an off-heap buffer (an error if a value overflows);
 * a BF16 one is narrowed when every value converts exactly, else it stays float32, as on the
 * PyTorch engine.
 *
 * <pre>{@code
 * ByteBuffer h = OnnxHalfWeights.load(ckpt, "transformer.wte.weight"); // null: keep it float32
 * }</pre>
 */
final class OnnxHalfWeights {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxHalfWeights.class);

    private OnnxHalfWeights() {}

    /** The tensor's float16 bytes (little-endian), or null when it is better held as float32. */
    static ByteBuffer load(Checkpoint c, String key) {
        TensorInfo info = c.info(key);
        if (info.dtype() == DType.F16) {
            return c.file(key).rawBuffer(info.name());
        }
        if (info.dtype() != DType.F32 && info.dtype() != DType.BF16) {
            return null;
        }
        boolean fromBf16 = info.dtype() == DType.BF16;
        long rows = info.shape().length == 0 ? 1 : info.shape()[0];
        long perRow = rows == 0 ? 0 : info.numel() / rows;
        ByteBuffer out = ByteBuffer.allocateDirect(Math.toIntExact(info.numel() * 2)).order(ByteOrder.LITTLE_ENDIAN);
        // positional reads a few rows at a time, so the stored bytes are not mapped into this process
        int step = (int) Math.max(1, (1 << 20) / Math.max(1, perRow));
        float[] buf = new float[(int) Math.min(info.numel(), step * perRow)];
        for (long r = 0; r < rows; r += step) {
            long r1 = Math.min(rows, r + step);
            int n = (int) ((r1 - r) * perRow);
            c.file(key).readRowsUnmapped(info.name(), r, r1, buf);
            for (int i = 0; i < n; i++) {
                float v = buf[i];
                short h = FloatConversions.floatToHalf(v);
                float back = FloatConversions.halfToFloat(h);
                if (back != v && !Float.isNaN(v)) {
                    if (fromBf16) {
                        LOG.warn("{}: BF16 tensor '{}' has values float16 cannot hold exactly; held as float32", c.directory(), key);
                        return null;
                    }
                    if (Float.isInfinite(back)) {
                        throw new Peft4jException(c.directory() + ": tensor '" + key + "' holds " + v
                                + ", beyond float16's range: load it with weight dtype float32 or auto");
                    }
                }
                out.putShort(h);
            }
        }
        return out.flip();
    }

    /** The float16 bytes widened to float32, in the tensor's shape. */
    static float[] widen(ByteBuffer half) {
        ByteBuffer b = half.duplicate().order(ByteOrder.LITTLE_ENDIAN).rewind();
        float[] out = new float[b.remaining() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = FloatConversions.halfToFloat(b.getShort());
        }
        return out;
    }
}
