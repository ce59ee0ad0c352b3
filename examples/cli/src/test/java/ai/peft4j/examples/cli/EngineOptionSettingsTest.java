package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.inject.Peft4jSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Engine tuning knobs travel as {@code <engine>.<option>} settings into EngineOptions, never as runtime system-property reads. */
class EngineOptionSettingsTest {
    @TempDir
    Path dir;

    @Test
    void keysNamingAnInstalledEngineBecomeEngineProperties() throws IOException {
        Path file = dir.resolve("peft4j.json");
        Files.writeString(file, "{\"engine\": \"onnx\", \"onnx.quantized_matmul\": \"float32\", \"lora.r\": \"4\"}");
        Properties sys = new Properties();
        sys.setProperty("peft4j.onnx.profile", "/tmp/prof");
        Peft4jSettings s = Peft4jSettings.resolve(file, sys);
        assertThat(s.engineProperties()).containsExactlyInAnyOrderEntriesOf(Map.of("onnx.quantized_matmul", "float32",
                "onnx.profile", "/tmp/prof"));
        assertThat(s.extra()).containsOnlyKeys("lora.r"); // not an engine: left to its owner
        assertThat(s.engineOptions().engineProperty("onnx", "quantized_matmul", "int8")).isEqualTo("float32");
        Peft4jSettings flagged = s.toBuilder().engineProperty("onnx.quantized_matmul", "int8").build();
        assertThat(flagged.engineOptions().engineProperties()).containsEntry("onnx.quantized_matmul", "int8");
        assertThat(flagged).isNotEqualTo(s);
    }

    @Test
    void checkpointBlocksFlagSetsTheCountAndRefusesTheAllBlocksFlagBesideIt() {
        EngineFlags flags = new EngineFlags();
        flags.checkpointBlocks = 3;
        assertThat(flags.settings().engineOptions().checkpointedBlocks(12)).isEqualTo(3);
        flags.gradientCheckpointing = true;
        assertThatThrownBy(flags::settings).isInstanceOf(Peft4jException.class).hasMessageContaining("not both");
        flags.checkpointBlocks = null;
        assertThat(flags.settings().engineOptions().checkpointedBlocks(12)).isEqualTo(12);
    }

    @Test
    void aKeyWithoutAnEngineNameIsRefused() {
        assertThatThrownBy(() -> Peft4jSettings.builder().engineProperty("quantized_matmul", "float32"))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("<engine>.<option>");
    }
}
