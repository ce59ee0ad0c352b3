package ai.peft4j.api.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model directories from the internet: each forged or unsafe input is refused with a clear message. */
class CheckpointHostileInputTest {
    @TempDir
    Path tmp;

    private Path copyOf(String model) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(model));
        try (var files = Files.list(Fixtures.model(model))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    @Test
    void fixtureModelsOpenAndCountParameters() {
        try (Checkpoint c = Checkpoint.open(Fixtures.model("stories260k"))) {
            assertThat(c.parameterCount()).isEqualTo(260_032L);
            assertThat(c.config().modelType()).isEqualTo("llama");
        }
    }

    @Test
    void pickleOnlyCheckpointIsRefusedWithTheConversionRecipe() throws IOException {
        Path dir = copyOf("tiny-gpt2");
        Files.delete(dir.resolve("model.safetensors"));
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("pytorch_model.bin").hasMessageContaining("pickle").hasMessageContaining("safe_serialization=True");
    }

    @Test
    void shardIndexPointingOutsideTheModelDirectoryIsRefused() throws IOException {
        Path dir = copyOf("tiny-llama-sharded");
        Path index = dir.resolve("model.safetensors.index.json");
        String json = Files.readString(index).replaceFirst("model-00001-of-00002.safetensors", "../evil.safetensors");
        Files.writeString(index, json);
        Files.copy(dir.resolve("model-00001-of-00002.safetensors"), tmp.resolve("evil.safetensors"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("../evil.safetensors").hasMessageContaining("inside the model directory");
    }

    @Test
    void missingShardTruncatedWeightsAndWrongShapesNameTheFileAndTensor() throws IOException {
        Path sharded = copyOf("tiny-llama-sharded");
        Files.delete(sharded.resolve("model-00002-of-00002.safetensors"));
        assertThatThrownBy(() -> Checkpoint.open(sharded)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("model-00002-of-00002.safetensors").hasMessageContaining("missing");

        Path truncated = copyOf("tiny-gpt2");
        byte[] bytes = Files.readAllBytes(truncated.resolve("model.safetensors"));
        Files.write(truncated.resolve("model.safetensors"), java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertThatThrownBy(() -> Checkpoint.open(truncated)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("model.safetensors");

        Path wrongShape = copyOf("tiny-gpt2");
        String cfg = Files.readString(wrongShape.resolve("config.json")).replace("\"n_embd\": 64", "\"n_embd\": 32");
        Files.writeString(wrongShape.resolve("config.json"), cfg);
        assertThatThrownBy(() -> Checkpoint.open(wrongShape)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("transformer.wte.weight").hasMessageContaining("[1250, 64]").hasMessageContaining("[1250, 32]");
    }

    @Test
    void unknownModelTypeListsTheSupportedOnes() throws IOException {
        Path dir = copyOf("tiny-gpt2");
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace("\"gpt2\"", "\"bert\""));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("unsupported model_type 'bert'").hasMessageContaining("gpt2").hasMessageContaining("llama");
    }

    @Test
    void missingDirectoryAndMissingConfigAreNamed() throws IOException {
        assertThatThrownBy(() -> Checkpoint.open(tmp.resolve("nope"))).isInstanceOf(Peft4jException.class).hasMessageContaining("nope");
        Path dir = copyOf("tiny-gpt2");
        Files.delete(dir.resolve("config.json"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(Peft4jException.class).hasMessageContaining("config.json");
    }
}
