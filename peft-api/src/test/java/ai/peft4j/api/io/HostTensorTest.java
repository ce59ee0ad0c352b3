package ai.peft4j.api.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import org.junit.jupiter.api.Test;

class HostTensorTest {

    @Test
    void shapeDataAndCopies() {
        float[] data = {1, 2, 3, 4, 5, 6};
        HostTensor t = new HostTensor(new long[] {2, 3}, data);
        assertThat(t.rank()).isEqualTo(2);
        assertThat(t.numel()).isEqualTo(6);
        assertThat(t.data()).isSameAs(data);
        long[] shape = t.shape();
        shape[0] = 99;
        assertThat(t.shape()).containsExactly(2, 3);
        HostTensor c = t.copy();
        c.data()[0] = 42;
        assertThat(t.data()[0]).isEqualTo(1f);
        assertThat(t.toString()).isEqualTo("HostTensor[2, 3] [1.0, 2.0, 3.0, 4.0, ...]");
    }

    @Test
    void zerosAndScalars() {
        assertThat(HostTensor.zeros(4, 64).data()).hasSize(256).containsOnly(0f);
        HostTensor scalar = HostTensor.zeros();
        assertThat(scalar.rank()).isZero();
        assertThat(scalar.numel()).isEqualTo(1);
        assertThat(HostTensor.zeros(0, 5).numel()).isZero();
    }

    @Test
    void rejectsBadShapes() {
        assertThatThrownBy(() -> new HostTensor(new long[] {2, 2}, new float[3]))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("[2, 2]");
        assertThatThrownBy(() -> HostTensor.zeros(-1, 2)).isInstanceOf(Peft4jException.class);
        assertThatThrownBy(() -> HostTensor.zeros(1L << 40, 1L << 40)).isInstanceOf(Peft4jException.class);
        assertThatThrownBy(() -> HostTensor.zeros(1L << 20, 1L << 20)).isInstanceOf(Peft4jException.class);
    }

    @Test
    void equalityIsOverShapeAndBits() {
        HostTensor a = new HostTensor(new long[] {2}, new float[] {1f, Float.NaN});
        HostTensor b = new HostTensor(new long[] {2}, new float[] {1f, Float.NaN});
        HostTensor other = new HostTensor(new long[] {1, 2}, new float[] {1f, Float.NaN});
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(other);
        assertThat(new HostTensor(new long[] {1}, new float[] {0f}))
                .isNotEqualTo(new HostTensor(new long[] {1}, new float[] {-0f}));
    }

    @Test
    void maxAbsDiff() {
        HostTensor a = new HostTensor(new long[] {3}, new float[] {1f, 2f, Float.POSITIVE_INFINITY});
        HostTensor b = new HostTensor(new long[] {3}, new float[] {1.5f, 1f, Float.POSITIVE_INFINITY});
        assertThat(a.maxAbsDiff(b)).isEqualTo(1f);
        assertThat(a.maxAbsDiff(a.copy())).isZero();
        HostTensor nan = new HostTensor(new long[] {3}, new float[] {1f, Float.NaN, Float.POSITIVE_INFINITY});
        assertThat(a.maxAbsDiff(nan)).isNaN();
        assertThatThrownBy(() -> a.maxAbsDiff(HostTensor.zeros(1, 3))).isInstanceOf(Peft4jException.class);
    }
}
