package ai.peft4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.train.GradientReducer;
import ai.peft4j.api.train.GradientSums;
import ai.peft4j.api.train.LearningRateSchedule;
import ai.peft4j.api.train.TrainingConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A job's trainer settings are one {@link TrainingConfig}: set whole or by shorthand, validated there, shipped with the job. */
class DataParallelTrainingSettingsTest {
    private static final ModelSpec MODEL = DataParallelTrainingTest.TINY_GPT2;

    @Test
    void shorthandsSetTheTrainingConfigWithTheCliDefaults() {
        DataParallelTraining job = DataParallelTraining.builder(MODEL, "lora").optBatchSize(5).optMaxSteps(6).optLearningRate(1e-2)
                .optCheckpointEverySteps(3).optOutputDir("runs/dp").optSchedule("cosine").build();
        TrainingConfig t = job.training();
        assertThat(t.batchSize()).isEqualTo(5);
        assertThat(t.maxSteps()).isEqualTo(6);
        assertThat(t.learningRate()).isEqualTo(1e-2);
        assertThat(t.schedule()).isEqualTo(LearningRateSchedule.Type.COSINE);
        assertThat(t.checkpointEverySteps()).isEqualTo(3);
        assertThat(t.outputDir()).isEqualTo(Path.of("runs/dp"));
        assertThat(t.keepCheckpoints()).isEqualTo(3);
        assertThat(job.seed()).isEqualTo(42).isEqualTo(t.seed());
        assertThat(job.trainingBuilder().build().toString()).isEqualTo(t.toString());

        TrainingConfig epochs = DataParallelTraining.builder(MODEL, "lora").optMaxSteps(-1).optEpochs(2).build().training();
        assertThat(epochs.maxSteps()).isEqualTo(-1);
        assertThat(epochs.epochs()).isEqualTo(2);
        assertThat(DataParallelTraining.builder(MODEL, "lora").optMaxSteps(0).build().training().maxSteps()).as("0: the epochs")
                .isEqualTo(-1);
        TrainingConfig defaults = DataParallelTraining.builder(MODEL, "lora").build().training();
        assertThat(defaults.learningRate()).isEqualTo(2e-3);
        assertThat(defaults.epochs()).isEqualTo(1);
    }

    @Test
    void aWholeTrainingConfigIsTakenAndShorthandsChangeIt() {
        TrainingConfig cfg = DataParallelTraining.defaultTraining().optWarmupRatio(0.1).optWeightDecay(0.01).optBatchSize(4).build();
        DataParallelTraining job = DataParallelTraining.builder(MODEL, "lora").optTraining(cfg).optLearningRate(5e-3).build();
        assertThat(job.training().batchSize()).isEqualTo(4);
        assertThat(job.training().weightDecay()).isEqualTo(0.01);
        assertThat(job.training().newSchedule(100).warmupSteps()).isEqualTo(10);
        assertThat(job.training().learningRate()).isEqualTo(5e-3);
        assertThat(cfg.learningRate()).as("the given config is not changed").isEqualTo(2e-3);
    }

    @Test
    void settingsAreValidatedByTrainingConfigBeforeAnyTaskStarts() {
        assertThatThrownBy(() -> DataParallelTraining.builder(MODEL, "lora").optBatchSize(0).build()).isInstanceOf(Peft4jException.class)
                .hasMessage("training config: batch size must be >= 1, got 0");
        assertThatThrownBy(() -> DataParallelTraining.builder(MODEL, "lora").optCheckpointEverySteps(2).build())
                .hasMessageContaining("checkpoints need an output directory");
        assertThatThrownBy(() -> DataParallelTraining.builder(MODEL, "lora").optSchedule("step")).hasMessageContaining("unknown learning-rate schedule");
    }

    @Test
    void theJobTravelsToTasksWithItsSettings() throws Exception {
        DataParallelTraining job = DataParallelTraining.builder(MODEL, "lora").optTasks(3).optBatchSize(6).optMaxSteps(2)
                .optOutputDir("runs/dp").build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(job);
        }
        DataParallelTraining back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (DataParallelTraining) in.readObject();
        }
        assertThat(back.tasks()).isEqualTo(3);
        assertThat(back.training().toString()).isEqualTo(job.training().toString());
        assertThat(back.training().outputDir()).isEqualTo(Path.of("runs/dp"));
        GradientReducer rank1 = new GradientReducer() {
            @Override
            public int rank() {
                return 1;
            }

            @Override
            public int worldSize() {
                return 3;
            }

            @Override
            public GradientSums reduce(GradientSums local) {
                return local;
            }
        };
        assertThat(back.trainingBuilder().optGradientReducer(rank1).build().gradientReducer()).isSameAs(rank1);
    }
}
