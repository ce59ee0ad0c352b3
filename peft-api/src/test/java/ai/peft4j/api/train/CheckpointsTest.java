package ai.peft4j.api.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listing, pruning and reading checkpoints; a damaged one is refused with its name and what is wrong. */
class CheckpointsTest {
    @TempDir
    Path out;

    private Path checkpoint(long step) throws IOException {
        Path d = Files.createDirectories(Checkpoints.dir(out, step));
        Files.writeString(d.resolve(Checkpoints.STATE), "{}");
        return d;
    }

    @Test
    void listsCompleteCheckpointsByStepAndFindsTheLatest() throws IOException {
        assertThat(Checkpoints.list(out.resolve("missing"))).isEmpty();
        assertThat(Checkpoints.latest(out)).isEmpty();
        checkpoint(9);
        checkpoint(10);
        checkpoint(2);
        Files.createDirectories(out.resolve("checkpoint-11")); // no trainer state: not a checkpoint
        Files.createDirectories(out.resolve("checkpoint-x"));
        checkpoint(1);
        Files.createDirectories(out.resolve(".checkpoint-12.tmp-1")); // being written

        assertThat(Checkpoints.list(out)).containsExactly(Checkpoints.dir(out, 1), Checkpoints.dir(out, 2), Checkpoints.dir(out, 9),
                Checkpoints.dir(out, 10));
        assertThat(Checkpoints.latest(out)).contains(Checkpoints.dir(out, 10));
        assertThat(Checkpoints.stepOf(out.resolve("checkpoint-10"))).isEqualTo(10);
        assertThat(Checkpoints.stepOf(out.resolve("checkpoint-x"))).isEqualTo(-1);
    }

    @Test
    void pruneKeepsTheNewestUpToAStepAndLeavesLaterOnes() throws IOException {
        for (long s = 1; s <= 5; s++) {
            checkpoint(s);
        }
        Checkpoints.prune(out, 2, 4); // a resumed run at step 4 does not delete the newer checkpoint-5
        assertThat(Checkpoints.list(out)).containsExactly(Checkpoints.dir(out, 3), Checkpoints.dir(out, 4), Checkpoints.dir(out, 5));
        Checkpoints.prune(out, 1, 5);
        assertThat(Checkpoints.list(out)).containsExactly(Checkpoints.dir(out, 5));
    }

    @Test
    void aMissingOrTruncatedTrainerStateIsAClearError() throws IOException {
        Path notACheckpoint = Files.createDirectories(out.resolve("adapter"));
        assertThatThrownBy(() -> Checkpoints.readState(notACheckpoint)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("cannot read the trainer state").hasMessageContaining("checkpoint-<step> directory");
        Path c = checkpoint(3);
        Files.writeString(c.resolve(Checkpoints.STATE), "{\n  \"format\": \"peft4j-trainer-state/1\",\n  \"global_st");
        assertThatThrownBy(() -> Checkpoints.readState(c)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining(c.resolve(Checkpoints.STATE).toString()).hasMessageContaining("truncated");
    }

    @Test
    void restoresTheOptimizerAndRefusesATruncatedOptimizerFile() throws IOException {
        Optimizer trained = new AdamW(0.9, 0.999, 1e-8, 0);
        float[] w = {1, 2, 3, 4};
        trained.step(Map.of("w", w), Map.of("w", new float[] {0.5f, -1, 2, 0}), 0.1);
        Path c = checkpoint(1);
        Map<String, HostTensor> slots = new java.util.LinkedHashMap<>();
        trained.state().forEach((k, v) -> slots.put(k, new HostTensor(new long[] {2, 2}, v)));
        SafetensorsWriter.write(c.resolve(Checkpoints.OPTIMIZER), slots, Map.of());

        Optimizer resumed = new AdamW(0.9, 0.999, 1e-8, 0);
        Checkpoints.loadOptimizer(c, resumed, trained.steps());
        assertThat(resumed.steps()).isEqualTo(1);
        for (String k : trained.state().keySet()) {
            assertThat(resumed.state().get(k)).as(k).containsExactly(trained.state().get(k));
        }

        byte[] bytes = Files.readAllBytes(c.resolve(Checkpoints.OPTIMIZER));
        Files.write(c.resolve(Checkpoints.OPTIMIZER), Arrays.copyOf(bytes, bytes.length - 5));
        assertThatThrownBy(() -> Checkpoints.loadOptimizer(c, new AdamW(0.9, 0.999, 1e-8, 0), 1)).isInstanceOf(Peft4jException.class)
                .hasMessageStartingWith(c + ": damaged checkpoint").hasMessageContaining(Checkpoints.OPTIMIZER)
                .hasMessageContaining("resume from an earlier checkpoint");
        Files.delete(c.resolve(Checkpoints.OPTIMIZER));
        assertThatThrownBy(() -> Checkpoints.loadOptimizer(c, new AdamW(0.9, 0.999, 1e-8, 0), 1)).hasMessageContaining("damaged checkpoint");
    }
}
