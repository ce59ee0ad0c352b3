package ai.peft4j.api.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A config derives others ({@code toBuilder}) and travels to workers (serialization) without its reducer. */
class TrainingConfigTest {
    private static final GradientReducer WORKER_1_OF_2 = new GradientReducer() {
        @Override
        public int rank() {
            return 1;
        }

        @Override
        public int worldSize() {
            return 2;
        }

        @Override
        public GradientSums reduce(GradientSums local) {
            return local;
        }
    };

    private static TrainingConfig config() {
        return TrainingConfig.builder().optOptimizer("sgd").optMomentum(0.9).optLearningRate(0.25).optSchedule(LearningRateSchedule.Type.COSINE)
                .optWarmupRatio(0.1).optBatchSize(3).optGradientAccumulationSteps(2).optMaxSteps(7).optEvalEverySteps(2)
                .optCheckpointEverySteps(2).optKeepCheckpoints(1).optOutputDir(Path.of("runs", "a")).optSeed(9).optShuffle(false)
                .optBucketWindowBatches(4).optPadTokenId(5).optAdapterName("x").build();
    }

    private static void assertSameSettings(TrainingConfig a, TrainingConfig b) {
        assertThat(b.toString()).isEqualTo(a.toString());
        assertThat(b.outputDir()).isEqualTo(a.outputDir());
        assertThat(b.evalBatchSize()).isEqualTo(a.evalBatchSize());
        assertThat(b.checkpointEverySteps()).isEqualTo(a.checkpointEverySteps());
        assertThat(b.keepCheckpoints()).isEqualTo(a.keepCheckpoints());
        assertThat(b.shuffle()).isEqualTo(a.shuffle());
        assertThat(b.bucketWindowBatches()).isEqualTo(a.bucketWindowBatches());
        assertThat(b.padTokenId()).isEqualTo(a.padTokenId());
        assertThat(b.adapterName()).isEqualTo(a.adapterName());
        assertThat(b.newSchedule(7)).isEqualTo(a.newSchedule(7));
        assertThat(b.newOptimizer().name()).isEqualTo(a.newOptimizer().name());
    }

    @Test
    void toBuilderCopiesEverySettingAndLeavesTheConfigAlone() {
        TrainingConfig a = config();
        TrainingConfig worker = a.toBuilder().optGradientReducer(WORKER_1_OF_2).build();
        assertSameSettings(a, worker);
        assertThat(worker.gradientReducer()).isSameAs(WORKER_1_OF_2);
        assertThat(a.gradientReducer()).isSameAs(GradientReducer.SINGLE_PROCESS);
        TrainingConfig.Builder b = a.toBuilder();
        b.optLearningRate(1).optBatchSize(1);
        assertThat(a.learningRate()).isEqualTo(0.25);
        assertThat(a.batchSize()).isEqualTo(3);
    }

    @Test
    void serializesWithoutItsGradientReducer() throws IOException, ClassNotFoundException {
        TrainingConfig a = config().toBuilder().optGradientReducer(WORKER_1_OF_2).build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(a);
        }
        TrainingConfig back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (TrainingConfig) in.readObject();
        }
        assertSameSettings(a, back);
        assertThat(back.gradientReducer()).as("a reducer is one worker's").isSameAs(GradientReducer.SINGLE_PROCESS);
        assertThat(back.toBuilder().build().gradientReducer()).isSameAs(GradientReducer.SINGLE_PROCESS);
    }
}
