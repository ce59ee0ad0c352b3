package ai.peft4j.api.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsRecoverTest {
    @TempDir
    Path out;

    private Path checkpoint(String name) throws IOException {
        Path d = Files.createDirectories(out.resolve(name));
        Files.writeString(d.resolve(Checkpoints.STATE), "{}");
        Files.writeString(d.resolve("adapter_model.safetensors"), "x");
        return d;
    }

    @Test
    void leftoversOfAKilledRunAreRemovedAndAStrandedBackupIsRestored() throws IOException {
        checkpoint("checkpoint-2");
        checkpoint(".checkpoint-3.tmp-1a2b");        // killed while writing
        checkpoint(".checkpoint-1.del-123456");      // killed while pruning
        checkpoint(".checkpoint-4.bak-zz");          // killed between the two renames
        checkpoint(".checkpoint-2.bak-yy");          // its checkpoint is in place: garbage
        Files.writeString(out.resolve(".adapter_model.safetensors.tmp-9"), "not ours");

        Checkpoints.recover(out);

        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted())
                    .containsExactly(".adapter_model.safetensors.tmp-9", "checkpoint-2", "checkpoint-4");
        }
        assertThat(Checkpoints.latest(out)).contains(out.resolve("checkpoint-4"));
    }

    @Test
    void pruneNeverLeavesAHalfDeletedCheckpointUnderItsName() throws IOException {
        for (int i = 1; i <= 4; i++) {
            checkpoint("checkpoint-" + i);
        }
        Checkpoints.prune(out, 2, 4);
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted()).containsExactly("checkpoint-3", "checkpoint-4");
        }
    }
}
