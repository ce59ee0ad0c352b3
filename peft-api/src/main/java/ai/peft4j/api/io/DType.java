package ai.peft4j.api.io;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Element types of safetensors files, named as the format names them.
 *
 * <pre>{@code
 * DType t = DType.fromSafetensors("BF16");
 * long bytes = numel * t.byteSize();   // 2 per element
 * }</pre>
 */
public enum DType {
    F32(4, true, 7),
    F16(2, true, 4),
    BF16(2, true, 5),
    F64(8, true, 8),
    I64(8, false, 9),
    I32(4, false, 6),
    I16(2, false, 3),
    I8(1, false, 2),
    U8(1, false, 1),
    BOOL(1, false, 0);

    private final int byteSize;
    private final boolean floating;
    // Position in the Rust safetensors Dtype enum (increasing alignment); its writer lays
    // tensors out by this rank, descending, then by name. We do the same for identical bytes.
    private final int alignmentRank;

    DType(int byteSize, boolean floating, int alignmentRank) {
        this.byteSize = byteSize;
        this.floating = floating;
        this.alignmentRank = alignmentRank;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The name used in a safetensors header, for example {@code "BF16"}. */
    public String safetensorsName() {
        return name();
    }

    /** True for the floating-point types F32, F16, BF16 and F64. */
    public boolean isFloating() {
        return floating;
    }

    int alignmentRank() {
        return alignmentRank;
    }

    /**
     * Looks up a dtype by its safetensors header name (case-sensitive, as in the format).
     *
     * @throws SafetensorsException if the name is unknown; the message lists the known names
     */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        String known = Arrays.stream(values()).map(DType::safetensorsName).collect(Collectors.joining(", "));
        throw new SafetensorsException("unknown dtype '" + name + "' (known: " + known + ")");
    }
}
