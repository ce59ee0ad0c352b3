package ai.peft4j.api.io;

/**
 * Bit-exact conversions between float32 and the 16-bit float formats. Java 17 has no
 * {@code Float.float16ToFloat}, so they are written out here; rounding matches PyTorch's
 * {@code tensor.half()} and {@code tensor.bfloat16()} (round to nearest, ties to even).
 *
 * <pre>{@code
 * short h = FloatConversions.floatToHalf(1.5f);
 * float back = FloatConversions.halfToFloat(h); // 1.5f
 * }</pre>
 */
public final class FloatConversions {
    private FloatConversions() {
    }

    /** Widens IEEE binary16 bits to float32; exact for every input, including subnormals, inf and NaN. */
    public static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            // inf, or NaN with its payload kept in the top mantissa bits
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24, exact in float32
            float v = mant * 0x1p-24f;
            return Float.intBitsToFloat(sign | Float.floatToRawIntBits(v));
        }
        // rebias the exponent from 15 to 127
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Narrows float32 to IEEE binary16 bits, round to nearest even; NaN becomes the quiet NaN 0x7e00. */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) {
            return (short) (sign | 0x7e00);
        }
        if (abs >= 0x477ff000) {
            // 65520 and up round past the largest half (65504) to infinity
            return (short) (sign | 0x7c00);
        }
        int exp = abs >>> 23;
        if (abs >= 0x38800000) {
            // normal half: keep 10 mantissa bits, round on the 13 dropped ones
            int mant = abs & 0x7fffff;
            int h = ((exp - 112) << 10) | (mant >>> 13);
            int rest = mant & 0x1fff;
            if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) {
                h++; // a carry into the exponent is the right result
            }
            return (short) (sign | h);
        }
        if (exp < 102) {
            // below half the smallest subnormal (2^-25): rounds to zero
            return (short) sign;
        }
        // subnormal half: count units of 2^-24
        int m = (abs & 0x7fffff) | 0x800000;
        int shift = 126 - exp;
        int q = m >>> shift;
        int rest = m & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rest > halfway || (rest == halfway && (q & 1) != 0)) {
            q++;
        }
        return (short) (sign | q);
    }

    /** Widens bfloat16 bits to float32: they are the high half of a float32. */
    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    /** Narrows float32 to bfloat16 bits, round to nearest even; NaN becomes 0x7fc0 as in PyTorch. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) 0x7fc0;
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lsb) >>> 16);
    }
}
