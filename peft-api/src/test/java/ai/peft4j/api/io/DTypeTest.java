package ai.peft4j.api.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DTypeTest {

    @Test
    void namesSizesAndKinds() {
        for (DType t : DType.values()) {
            assertThat(DType.fromSafetensors(t.safetensorsName())).isSameAs(t);
        }
        assertThat(DType.F32.byteSize()).isEqualTo(4);
        assertThat(DType.BF16.byteSize()).isEqualTo(2);
        assertThat(DType.I64.byteSize()).isEqualTo(8);
        assertThat(DType.BOOL.byteSize()).isEqualTo(1);
        assertThat(DType.F16.isFloating()).isTrue();
        assertThat(DType.I32.isFloating()).isFalse();
    }

    @Test
    void unknownNameListsKnownOnes() {
        assertThatThrownBy(() -> DType.fromSafetensors("f32"))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("'f32'")
                .hasMessageContaining("F32, F16, BF16");
    }
}
