package ai.peft4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.train.GradientSums;
import ai.peft4j.api.train.TrainingResult;
import ai.peft4j.examples.cli.LoadedModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The reducer without Spark: N threads exchange messages through an in-memory all-gather. */
class BarrierGradientReducerTest {
    /** An all-gather among {@code n} threads, returning the messages in reverse rank order (the reducer must not care). */
    static final class MemoryAllGather {
        final String[] slots;
        final CyclicBarrier filled;
        final CyclicBarrier read;

        MemoryAllGather(int n) {
            slots = new String[n];
            filled = new CyclicBarrier(n);
            read = new CyclicBarrier(n);
        }

        Function<String, String[]> forRank(int rank) {
            return message -> {
                try {
                    slots[rank] = message;
                    filled.await();
                    String[] out = new String[slots.length];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = slots[slots.length - 1 - i];
                    }
                    read.await();
                    return out;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
        }
    }

    static <T> List<T> onThreads(int n, java.util.function.IntFunction<T> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                futures.add(pool.submit(() -> body.apply(rank)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void everyWorkerGetsTheSameSumsAddedInRankOrder() throws Exception {
        MemoryAllGather gather = new MemoryAllGather(3);
        List<GradientSums> results = onThreads(3, rank -> {
            Map<String, float[]> g = new LinkedHashMap<>();
            g.put("a", new float[] {rank, 0.1f * rank, 1e8f * (rank == 0 ? 1 : 0)});
            g.put("b", new float[] {1f / (rank + 1)});
            return new BarrierGradientReducer(gather.forRank(rank), rank, 3).reduce(new GradientSums(rank + 0.5, 10 + rank, 20 + rank, g));
        });
        for (GradientSums s : results) {
            assertThat(s.lossSum()).isEqualTo(4.5);
            assertThat(s.targetTokens()).isEqualTo(33);
            assertThat(s.inputTokens()).isEqualTo(63);
            assertThat(s.gradients().keySet()).containsExactly("a", "b");
            // ((0 + r0) + r1) + r2 in float: the same bits everywhere.
            assertThat(s.gradients().get("a")).containsExactly(results.get(0).gradients().get("a"));
            assertThat(s.gradients().get("b")[0]).isEqualTo(((0f + 1f) + 0.5f) + 1f / 3);
        }
        assertThat((double) results.get(0).gradients().get("a")[0]).isEqualTo(3.0);
    }

    @Test
    void workersTrainingDifferentParametersFailClearly() {
        MemoryAllGather gather = new MemoryAllGather(2);
        assertThatThrownBy(() -> onThreads(2, rank -> new BarrierGradientReducer(gather.forRank(rank), rank, 2)
                .reduce(new GradientSums(0, 1, 1, Map.of(rank == 0 ? "a" : "b", new float[2])))))
                .hasRootCauseInstanceOf(Peft4jException.class).rootCause().hasMessageContaining("trains other parameters");
    }

    @Test
    void threeWorkersWithUnequalShardsFollowTheSingleProcessTrace() throws Exception {
        DataParallelTraining job = DataParallelTraining.builder(DataParallelTrainingTest.TINY_GPT2, "lora")
                .optMethodConfig("{\"r\": 4, \"lora_alpha\": 8, \"lora_dropout\": 0.0}").optTasks(3).optBatchSize(4).optMaxSteps(4)
                .optLearningRate(1e-2).build();
        TrainingResult single;
        try (LoadedModel m = job.model().open()) {
            single = job.runOn(m, DataParallelTrainingTest.examples(), job.trainingBuilder(), null);
        }
        MemoryAllGather gather = new MemoryAllGather(3);
        List<TrainingResult> workers = onThreads(3, rank -> {
            try (LoadedModel m = job.model().open()) {
                return job.runOn(m, DataParallelTrainingTest.examples(),
                        job.trainingBuilder().optGradientReducer(new BarrierGradientReducer(gather.forRank(rank), rank, 3)), null);
            }
        });
        for (TrainingResult w : workers) {
            assertThat(w.losses()).isEqualTo(workers.get(0).losses());
        }
        DataParallelTrainingTest.assertSameTrace(workers.get(0).losses(), single.losses());
    }
}
