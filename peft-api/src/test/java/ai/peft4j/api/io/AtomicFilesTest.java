package ai.peft4j.api.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path tmp;

    private Stream<Path> siblings() throws IOException {
        return Files.list(tmp);
    }

    @Test
    void writesAndReplacesFiles() throws IOException {
        Path p = tmp.resolve("sub/config.json");
        AtomicFiles.writeString(p, "{\"r\": 8, \"한\": 1}");
        assertThat(Files.readString(p, StandardCharsets.UTF_8)).isEqualTo("{\"r\": 8, \"한\": 1}");
        AtomicFiles.write(p, out -> {
            out.write('x');
            out.close(); // closing early is allowed
        });
        assertThat(Files.readString(p)).isEqualTo("x");
        try (Stream<Path> s = Files.list(p.getParent())) {
            assertThat(s).containsExactly(p);
        }
    }

    @Test
    void writerThrowingMidwayLeavesNoTargetAndNoTempFile() throws IOException {
        Path p = tmp.resolve("out.bin");
        assertThatThrownBy(() -> AtomicFiles.write(p, out -> {
            out.write(new byte[100_000]);
            throw new IOException("disk full");
        })).isExactlyInstanceOf(Peft4jException.class).hasMessageContaining("out.bin").hasMessageContaining("disk full");
        assertThatThrownBy(() -> AtomicFiles.write(p, out -> {
            out.write(1);
            throw new IllegalStateException("bug");
        })).isExactlyInstanceOf(IllegalStateException.class);
        try (Stream<Path> s = siblings()) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void existingTargetStaysIntactWhenTheOverwriteFails() throws IOException {
        Path p = tmp.resolve("keep.txt");
        AtomicFiles.writeString(p, "old");
        assertThatThrownBy(() -> AtomicFiles.write(p, out -> {
            out.write("new but partial".getBytes(StandardCharsets.UTF_8));
            throw new UncheckedIOException(new IOException("boom"));
        })).isInstanceOf(UncheckedIOException.class);
        assertThat(Files.readString(p)).isEqualTo("old");
        try (Stream<Path> s = siblings()) {
            assertThat(s).containsExactly(p);
        }
    }

    @Test
    void replaceDirectoryCreatesThenSwaps() throws IOException {
        Path dir = tmp.resolve("adapter");
        AtomicFiles.replaceDirectory(dir, d -> {
            Files.writeString(d.resolve("adapter_config.json"), "v1");
            Files.createDirectories(d.resolve("nested"));
            Files.writeString(d.resolve("nested/file"), "n");
        });
        assertThat(Files.readString(dir.resolve("adapter_config.json"))).isEqualTo("v1");
        AtomicFiles.replaceDirectory(dir, d -> Files.writeString(d.resolve("adapter_config.json"), "v2"));
        assertThat(Files.readString(dir.resolve("adapter_config.json"))).isEqualTo("v2");
        assertThat(dir.resolve("nested")).doesNotExist(); // the whole old directory is gone
        try (Stream<Path> s = siblings()) {
            assertThat(s).containsExactly(dir); // no temp or backup left behind
        }
    }

    @Test
    void failedReplaceDirectoryKeepsTheOldOne() throws IOException {
        Path dir = tmp.resolve("adapter");
        AtomicFiles.replaceDirectory(dir, d -> Files.writeString(d.resolve("a"), "old"));
        assertThatThrownBy(() -> AtomicFiles.replaceDirectory(dir, d -> {
            Files.writeString(d.resolve("a"), "new");
            throw new IOException("trainer crashed");
        })).isExactlyInstanceOf(Peft4jException.class).hasMessageContaining("adapter").hasMessageContaining("trainer crashed");
        assertThat(Files.readString(dir.resolve("a"))).isEqualTo("old");
        try (Stream<Path> s = siblings()) {
            assertThat(s).containsExactly(dir);
        }
        Path file = tmp.resolve("plain");
        Files.writeString(file, "x");
        assertThatThrownBy(() -> AtomicFiles.replaceDirectory(file, d -> { }))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("not a directory");
    }

    @Test
    void updateDirectoryKeepsWhatItDoesNotWriteAsHardLinksAndDropsWhatItIsTold() throws IOException {
        Path dir = tmp.resolve("run");
        Files.createDirectories(dir.resolve("checkpoint-1"));
        Files.writeString(dir.resolve("checkpoint-1/trainer_state.json"), "{\"global_step\": 1}");
        Files.writeString(dir.resolve("adapter_config.json"), "old config");
        Files.writeString(dir.resolve("adapter_model.bin"), "stale pickle");
        Files.writeString(dir.resolve("README.md"), "card");
        Files.createSymbolicLink(dir.resolve("latest"), Path.of("checkpoint-1"));
        Object stateInode = Files.readAttributes(dir.resolve("checkpoint-1/trainer_state.json"), BasicFileAttributes.class).fileKey();

        AtomicFiles.updateDirectory(dir, d -> Files.writeString(d.resolve("adapter_config.json"), "new config"),
                name -> name.equals("adapter_model.bin"));

        assertThat(Files.readString(dir.resolve("adapter_config.json"))).isEqualTo("new config");
        assertThat(dir.resolve("adapter_model.bin")).doesNotExist();
        assertThat(Files.readString(dir.resolve("README.md"))).isEqualTo("card");
        assertThat(Files.readString(dir.resolve("checkpoint-1/trainer_state.json"))).isEqualTo("{\"global_step\": 1}");
        assertThat(Files.readAttributes(dir.resolve("checkpoint-1/trainer_state.json"), BasicFileAttributes.class).fileKey())
                .as("carried as a hard link, not copied").isEqualTo(stateInode);
        assertThat(Files.readSymbolicLink(dir.resolve("latest"))).isEqualTo(Path.of("checkpoint-1"));
        try (Stream<Path> s = siblings()) {
            assertThat(s).containsExactly(dir);
        }
    }

    @Test
    void failedUpdateDirectoryKeepsTheOldOneWhole() throws IOException {
        Path dir = tmp.resolve("run");
        Files.createDirectories(dir.resolve("checkpoint-1"));
        Files.writeString(dir.resolve("checkpoint-1/state"), "s");
        Files.writeString(dir.resolve("adapter_config.json"), "old");
        assertThatThrownBy(() -> AtomicFiles.updateDirectory(dir, d -> {
            Files.writeString(d.resolve("adapter_config.json"), "new");
            throw new IOException("disk full");
        }, n -> false)).isExactlyInstanceOf(Peft4jException.class).hasMessageContaining("run").hasMessageContaining("disk full");
        assertThat(Files.readString(dir.resolve("adapter_config.json"))).isEqualTo("old");
        assertThat(Files.readString(dir.resolve("checkpoint-1/state"))).isEqualTo("s");
        try (Stream<Path> s = siblings()) {
            assertThat(s).containsExactly(dir);
        }
    }

    @Test
    void anInterruptedSwapIsRecoveredFromItsBackupAndLeftoversAreRemoved() throws IOException {
        // what a kill between the two renames leaves: no target, the complete old directory as a backup
        Path dir = tmp.resolve("run");
        Path backup = Files.createDirectories(tmp.resolve(".run.bak-abc123"));
        Files.writeString(backup.resolve("adapter_config.json"), "old");
        Files.createDirectories(backup.resolve("checkpoint-1"));
        Files.writeString(backup.resolve("checkpoint-1/state"), "s");
        Files.createDirectories(tmp.resolve(".run.tmp-zzz"));
        assertThat(AtomicFiles.recoverDirectory(tmp.resolve("elsewhere"))).as("nothing to recover").isFalse();

        AtomicFiles.updateDirectory(dir, d -> Files.writeString(d.resolve("adapter_config.json"), "new"), n -> false);

        assertThat(Files.readString(dir.resolve("adapter_config.json"))).isEqualTo("new");
        assertThat(Files.readString(dir.resolve("checkpoint-1/state"))).as("the backup's other entries carried over").isEqualTo("s");
        try (Stream<Path> s = siblings()) {
            assertThat(s).as("the leftover temporary and the backup are gone").containsExactly(dir);
        }

        Files.move(dir, tmp.resolve(".run.bak-def456"));
        assertThat(AtomicFiles.recoverDirectory(dir)).isTrue();
        assertThat(Files.readString(dir.resolve("adapter_config.json"))).isEqualTo("new");
        assertThat(AtomicFiles.recoverDirectory(dir)).as("the target exists: nothing to do").isFalse();
    }
}
