package ai.peft4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.peft4j.api.data.Example;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.train.Checkpoints;
import ai.peft4j.api.train.TrainingResult;
import ai.peft4j.examples.cli.LoadedModel;
import ai.peft4j.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training across Spark barrier tasks (local mode, 2 tasks) against the same
 * training in one process, on the tiny GPT-2 fixture. The global batch of 5 splits 3 + 2 across
 * the tasks, and each epoch ends with a batch of 1, where task 1 has no rows at all.
 */
class DataParallelTrainingTest {
    static final ModelSpec TINY_GPT2 = ModelSpec.of(Fixtures.model("tiny-gpt2").toString()).withEngine("pytorch", "cpu", 1);

    @TempDir
    Path tmp;

    static List<Example> examples() {
        String[] animals = {"cat", "dog", "bird", "fish", "horse", "sheep", "goat", "duck", "frog", "bear", "wolf"};
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < animals.length; i++) {
            out.add(new Example("Once upon a time a " + animals[i] + " went to the market " + "and ".repeat(i % 4) + "said:",
                    " hello " + animals[i]));
        }
        return out;
    }

    static JavaSparkContext spark() {
        return JavaSparkContext.fromSparkContext(LocalSpark.session().sparkContext());
    }

    static TrainingResult singleProcess(DataParallelTraining job, Path out) {
        try (LoadedModel m = job.model().open()) {
            return job.runOn(m, examples(), job.trainingBuilder().optOutputDir(out), null);
        }
    }

    static void assertSameTrace(List<Double> dataParallel, List<Double> single) {
        assertThat(dataParallel).hasSameSizeAs(single);
        double worst = 0;
        for (int i = 0; i < single.size(); i++) {
            worst = Math.max(worst, Math.abs(dataParallel.get(i) - single.get(i)));
        }
        System.out.printf(java.util.Locale.ROOT, "data-parallel vs single-process loss trace: max |difference| %.2e over %d steps%n", worst,
                single.size());
        for (int i = 0; i < single.size(); i++) {
            assertThat(dataParallel.get(i)).as("loss of step " + (i + 1)).isCloseTo(single.get(i), within(1e-5));
        }
    }

    static void assertSameTensors(Path a, Path b, double tolerance) {
        try (SafetensorsFile fa = SafetensorsFile.open(a); SafetensorsFile fb = SafetensorsFile.open(b)) {
            assertThat(fa.tensors().keySet()).isEqualTo(fb.tensors().keySet());
            for (String k : fa.tensors().keySet()) {
                float[] x = fa.readHost(k).data();
                float[] y = fb.readHost(k).data();
                assertThat(x).hasSameSizeAs(y);
                for (int i = 0; i < x.length; i++) {
                    assertThat((double) x[i]).as(k + "[" + i + "]").isCloseTo(y[i], within(tolerance));
                }
            }
        }
    }

    @Test
    void twoTasksFollowTheSingleProcessLossTraceAndWriteTheSamePeftAdapterAndCheckpoints() throws IOException {
        Path dpOut = tmp.resolve("dp");
        DataParallelTraining job = DataParallelTraining.builder(TINY_GPT2, "lora")
                .optMethodConfig("{\"r\": 4, \"lora_alpha\": 8, \"lora_dropout\": 0.0, \"target_modules\": [\"c_attn\"]}")
                .optTasks(2).optBatchSize(5).optMaxSteps(6).optLearningRate(1e-2).optCheckpointEverySteps(3)
                .optOutputDir(dpOut.toString()).build();

        DataParallelTraining.Result dp = job.train(spark(), examples());
        TrainingResult single = singleProcess(job, tmp.resolve("single"));

        assertThat(dp.steps()).isEqualTo(6);
        assertSameTrace(dp.losses(), single.losses());
        assertThat(single.losses().get(5)).isLessThan(single.losses().get(0)); // it learns: the comparison is not of constants
        // One all-gather per update and task.
        assertThat(dp.allGatherMillis()).hasSize(2 * 6);
        assertThat(dp.messageChars()).isGreaterThan(0);

        // Task 0 wrote the adapter in PEFT's format and checkpoints as a single-process run does.
        assertThat(Files.readString(dpOut.resolve("adapter_config.json"))).isEqualTo(Files.readString(tmp.resolve("single/adapter_config.json")));
        assertSameTensors(dpOut.resolve("adapter_model.safetensors"), tmp.resolve("single/adapter_model.safetensors"), 1e-5);
        assertThat(Checkpoints.list(dpOut)).extracting(p -> p.getFileName().toString()).containsExactly("checkpoint-3", "checkpoint-6");
        // The saved adapter loads as any PEFT adapter.
        try (LoadedModel m = TINY_GPT2.open()) {
            m.model().loadAdapter(dpOut, "trained");
            assertThat(m.model().adapterNames()).contains("trained");
        }
    }

    @Test
    void promptTuningTrainsDataParallelToo() {
        DataParallelTraining job = DataParallelTraining.builder(TINY_GPT2, "prompt-tuning")
                .optMethodConfig("{\"num_virtual_tokens\": 4, \"prompt_tuning_init\": \"RANDOM\"}")
                .optTasks(2).optBatchSize(4).optMaxSteps(3).optLearningRate(3e-2).build();
        DataParallelTraining.Result dp = job.train(spark(), examples());
        assertSameTrace(dp.losses(), singleProcess(job, null).losses());
    }

    @Test
    void aResumedDataParallelRunContinuesTheUninterruptedTrace() {
        String config = "{\"r\": 4, \"lora_alpha\": 8, \"lora_dropout\": 0.0}";
        DataParallelTraining.Builder common = DataParallelTraining.builder(TINY_GPT2, "lora").optMethodConfig(config).optTasks(2)
                .optBatchSize(4).optLearningRate(1e-2).optSchedule("constant").optCheckpointEverySteps(2);
        DataParallelTraining.Result whole = common.optMaxSteps(4).optOutputDir(tmp.resolve("whole").toString()).optResume(false).build()
                .train(spark(), examples());

        String dir = tmp.resolve("resumed").toString();
        DataParallelTraining.Result first = common.optMaxSteps(2).optOutputDir(dir).build().train(spark(), examples());
        DataParallelTraining.Result rest = common.optMaxSteps(4).optResume(true).build().train(spark(), examples());

        assertThat(rest.resumedFrom()).isEqualTo(Path.of(dir, "checkpoint-2"));
        List<Double> joined = new ArrayList<>(first.losses());
        joined.addAll(rest.losses());
        assertThat(joined).isEqualTo(whole.losses()); // the same computation, so exactly the same numbers
    }
}
