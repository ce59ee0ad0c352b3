package ai.peft4j.api.fuzz;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.io.SafetensorsFile;
import ai.peft4j.api.io.TensorInfo;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the safetensors reader: every input either loads (and every tensor
 * can then be read) or fails with the project's own exception; never another exception, an
 * OutOfMemoryError from a forged length, or a hang.
 *
 * <p>Without {@code JAZZER_FUZZ=1} this replays the seed and regression inputs in
 * {@code src/test/resources/ai/peft4j/api/fuzz/SafetensorsFuzzTestInputs/}; with it, it fuzzes.
 */
class SafetensorsFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void readerNeverFailsUncleanly(byte[] data) throws IOException {
        Path file = Files.createTempFile("fuzz", ".safetensors");
        try {
            Files.write(file, data);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (TensorInfo info : f.tensors().values()) {
                    if (info.numel() <= 1 << 16) {
                        f.readHost(info.name());
                    }
                    f.rawBuffer(info.name());
                }
            } catch (Peft4jException expected) {
                // a clear, typed error is the contract
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
