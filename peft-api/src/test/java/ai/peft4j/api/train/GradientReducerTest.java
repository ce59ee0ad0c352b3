package ai.peft4j.api.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class GradientReducerTest {
    static GradientReducer worker(int rank, int world) {
        return new GradientReducer() {
            @Override
            public int rank() {
                return rank;
            }

            @Override
            public int worldSize() {
                return world;
            }

            @Override
            public GradientSums reduce(GradientSums local) {
                return local;
            }
        };
    }

    @Test
    void theSingleProcessReducerIsTheIdentity() {
        int[] batch = {4, 1, 7};
        assertThat(GradientReducer.SINGLE_PROCESS.shard(batch)).isSameAs(batch);
        GradientSums s = new GradientSums(1.5, 3, 4, Map.of("w", new float[] {1f}));
        assertThat(GradientReducer.SINGLE_PROCESS.reduce(s)).isSameAs(s);
        assertThat(TrainingConfig.builder().build().gradientReducer()).isSameAs(GradientReducer.SINGLE_PROCESS);
    }

    @Test
    void shardsCoverEveryRowOnceAndMayBeEmpty() {
        for (int world = 1; world <= 5; world++) {
            for (int n = 0; n <= 9; n++) {
                int[] batch = IntStream.range(0, n).map(i -> 100 + i).toArray();
                List<Integer> seen = new ArrayList<>();
                for (int r = 0; r < world; r++) {
                    int[] shard = worker(r, world).shard(batch);
                    assertThat(shard.length).isBetween(n / world, n / world + 1);
                    for (int v : shard) {
                        seen.add(v);
                    }
                }
                assertThat(seen).containsExactlyInAnyOrderElementsOf(IntStream.of(batch).boxed().toList());
            }
        }
        assertThat(worker(2, 3).shard(new int[] {10, 11})).isEmpty();
        assertThat(worker(1, 3).shard(new int[] {10, 11, 12, 13, 14})).containsExactly(11, 14);
    }

    @Test
    void aRankOutsideTheWorldIsRefused() {
        assertThatThrownBy(() -> TrainingConfig.builder().optGradientReducer(worker(3, 3)).build()).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("rank 3 is outside 0..2");
    }
}
