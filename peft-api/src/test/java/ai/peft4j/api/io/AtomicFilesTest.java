package ai.peft4j.api.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
