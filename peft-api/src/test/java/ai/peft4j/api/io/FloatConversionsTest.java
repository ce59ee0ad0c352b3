package ai.peft4j.api.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FloatConversionsTest {

    /** Reference rounding done in double arithmetic, independent of the bit tricks. */
    private static float roundToHalfReference(float f) {
        if (Float.isNaN(f) || Float.isInfinite(f) || f == 0f) {
            return f;
        }
        int e = Math.max(Math.getExponent(f), -14);
        double ulp = Math.scalb(1.0, e - 10);
        double rounded = Math.rint(f / ulp) * ulp; // rint ties to even; f / ulp is exact
        return Math.abs(rounded) >= 65536.0 ? Math.copySign(Float.POSITIVE_INFINITY, f) : (float) rounded;
    }

    @Test
    void everyHalfWidensExactlyAndNarrowsBack() {
        for (int h = 0; h < 0x10000; h++) {
            float f = FloatConversions.halfToFloat((short) h);
            int exp = (h >>> 10) & 0x1f;
            int mant = h & 0x3ff;
            double expected = exp == 0 ? mant * Math.scalb(1.0, -24) : Math.scalb(1.0 + mant / 1024.0, exp - 15);
            if ((h & 0x8000) != 0) {
                expected = -expected;
            }
            if (exp == 0x1f) {
                assertThat(mant == 0 ? Float.isInfinite(f) : Float.isNaN(f)).as("half %04x", h).isTrue();
                continue;
            }
            assertThat(Float.floatToRawIntBits(f)).as("half %04x", h)
                    .isEqualTo(Float.floatToRawIntBits((float) expected));
            assertThat(FloatConversions.floatToHalf(f)).as("half %04x", h).isEqualTo((short) h);
        }
    }

    @Test
    void narrowingToHalfRoundsToNearestEven() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            // random bits cover every exponent; then bias toward the half range
            float f = i % 2 == 0 ? Float.intBitsToFloat(rnd.nextInt())
                    : (float) (rnd.nextDouble(-70000, 70000) * Math.scalb(1.0, -rnd.nextInt(40)));
            if (Float.isNaN(f)) {
                continue;
            }
            float got = FloatConversions.halfToFloat(FloatConversions.floatToHalf(f));
            assertThat(Float.floatToRawIntBits(got)).as("%s", f)
                    .isEqualTo(Float.floatToRawIntBits(roundToHalfReference(f)));
        }
    }

    @Test
    void halfEdgeCases() {
        assertThat(FloatConversions.floatToHalf(65504f)).isEqualTo((short) 0x7bff);
        assertThat(FloatConversions.floatToHalf(65519.99f)).isEqualTo((short) 0x7bff);
        assertThat(FloatConversions.floatToHalf(65520f)).isEqualTo((short) 0x7c00);
        assertThat(FloatConversions.floatToHalf(-1e10f)).isEqualTo((short) 0xfc00);
        assertThat(FloatConversions.floatToHalf(0x1p-24f)).isEqualTo((short) 1);
        assertThat(FloatConversions.floatToHalf(0x1p-25f)).isEqualTo((short) 0); // tie to even
        assertThat(FloatConversions.floatToHalf(0x1.8p-24f)).isEqualTo((short) 2); // 1.5 units: tie to even
        assertThat(FloatConversions.floatToHalf(-0f)).isEqualTo((short) 0x8000);
        assertThat(FloatConversions.floatToHalf(Float.NaN)).isEqualTo((short) 0x7e00);
        assertThat(FloatConversions.floatToHalf(0x1.ffcp-15f)).isEqualTo((short) 0x0400); // subnormal carries into normal
        assertThat(Float.isNaN(FloatConversions.halfToFloat((short) 0x7e00))).isTrue();
        assertThat(FloatConversions.halfToFloat((short) 0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(FloatConversions.halfToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(FloatConversions.halfToFloat((short) 0x3c00)).isEqualTo(1f);
    }

    @Test
    void bfloat16RoundsToNearestEvenAndWidensExactly() {
        assertThat(FloatConversions.floatToBf16(1f)).isEqualTo((short) 0x3f80);
        assertThat(FloatConversions.floatToBf16(Float.intBitsToFloat(0x3f808000))).isEqualTo((short) 0x3f80); // tie, even
        assertThat(FloatConversions.floatToBf16(Float.intBitsToFloat(0x3f818000))).isEqualTo((short) 0x3f82); // tie, odd
        assertThat(FloatConversions.floatToBf16(Float.intBitsToFloat(0x3f808001))).isEqualTo((short) 0x3f81);
        assertThat(FloatConversions.floatToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7f80); // rounds to inf
        assertThat(FloatConversions.floatToBf16(Float.NaN)).isEqualTo((short) 0x7fc0);
        for (int h = 0; h < 0x10000; h++) {
            float f = FloatConversions.bf16ToFloat((short) h);
            assertThat(Float.floatToRawIntBits(f)).isEqualTo(h << 16);
            if (!Float.isNaN(f)) {
                assertThat(FloatConversions.floatToBf16(f)).isEqualTo((short) h);
            }
        }
    }
}
