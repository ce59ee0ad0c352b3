package ai.peft4j.api.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Peft4jSettingsTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreTheDefaultEngineAutoDeviceAndEngineThreads() {
        Peft4jSettings s = Peft4jSettings.defaults();
        String expected = Engines.installed().isEmpty() ? Peft4jSettings.FALLBACK_ENGINE : Engines.defaultEngine().name();
        assertThat(s.engine()).isEqualTo(expected);
        assertThat(s.device()).isEqualTo("auto");
        assertThat(s.threads()).isZero();
        assertThat(s.engineOptions()).isEqualTo(new EngineOptions("auto", 0));
        assertThat(Peft4jSettings.resolve(null, new Properties())).isEqualTo(s);
    }

    @Test
    void propertiesFileOverridesDefaults() throws IOException {
        Path f = write("a.properties", "engine=onnx\npeft4j.threads=3\nlora.r=8\n");
        Peft4jSettings s = Peft4jSettings.resolve(f, new Properties());
        assertThat(s.engine()).isEqualTo("onnx");
        assertThat(s.device()).isEqualTo("auto");
        assertThat(s.threads()).isEqualTo(3);
        assertThat(s.extra()).containsEntry("lora.r", "8");
    }

    @Test
    void jsonFileOverridesDefaults() throws IOException {
        Path f = write("settings.json", "{\"engine\": \"onnx\", \"device\": \"cpu\", \"threads\": 2, \"lora\": {\"r\": 8}}");
        Peft4jSettings s = Peft4jSettings.resolve(f, new Properties());
        assertThat(s.engine()).isEqualTo("onnx");
        assertThat(s.device()).isEqualTo("cpu");
        assertThat(s.threads()).isEqualTo(2);
        assertThat(s.extra()).containsEntry("lora", "{\"r\":8}");
    }

    @Test
    void systemPropertiesOverrideTheFileAndFlagsOverrideBoth() throws IOException {
        Path f = write("s.json", "{\"engine\": \"onnx\", \"device\": \"cpu\", \"threads\": 2}");
        Properties sys = new Properties();
        sys.setProperty("peft4j.engine", "pytorch");
        sys.setProperty("peft4j.threads", "4");
        Peft4jSettings s = Peft4jSettings.resolve(f, sys);
        assertThat(s.engine()).isEqualTo("pytorch");
        assertThat(s.device()).isEqualTo("cpu"); // from the file: no property overrides it
        assertThat(s.threads()).isEqualTo(4);

        Peft4jSettings flags = s.toBuilder().engine("onnx").device(null).threads(1).build();
        assertThat(flags.engine()).isEqualTo("onnx");
        assertThat(flags.device()).isEqualTo("cpu"); // a flag left out changes nothing
        assertThat(flags.threads()).isEqualTo(1);
        assertThat(s.engine()).isEqualTo("pytorch"); // immutable
    }

    @Test
    void configFileCanBeNamedByASystemProperty() throws IOException {
        Path f = write("named.properties", "device=gpu:1\n");
        Properties sys = new Properties();
        sys.setProperty(Peft4jSettings.CONFIG_PROPERTY, f.toString());
        assertThat(Peft4jSettings.resolve(null, sys).device()).isEqualTo("gpu:1");
    }

    @Test
    void badValuesFailWithTheirSource() throws IOException {
        Path f = write("bad.properties", "threads=many\n");
        assertThatThrownBy(() -> Peft4jSettings.resolve(f, new Properties()))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("bad.properties").hasMessageContaining("many");
        Properties sys = new Properties();
        sys.setProperty("peft4j.threads", "-1");
        assertThatThrownBy(() -> Peft4jSettings.resolve(null, sys)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining(">= 0");
        assertThatThrownBy(() -> Peft4jSettings.resolve(dir.resolve("missing.json"), new Properties()))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("not found");
        Path broken = write("broken.json", "{\"engine\": ");
        assertThatThrownBy(() -> Peft4jSettings.resolve(broken, new Properties()))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> Peft4jSettings.builder().engine(" ")).isInstanceOf(Peft4jException.class);
    }

    @Test
    void gradientCheckpointingIsEveryBlockNoneOrACountOfTheFirstBlocks() throws IOException {
        assertThat(Peft4jSettings.defaults().engineOptions().checkpointedBlocks()).isZero();
        Peft4jSettings all = Peft4jSettings.resolve(write("all.json", "{\"gradient_checkpointing\": true}"), new Properties());
        assertThat(all.checkpointedBlocks()).isEqualTo(EngineOptions.ALL_BLOCKS);
        assertThat(all.engineOptions().checkpointedBlocks(12)).isEqualTo(12);
        Peft4jSettings three = Peft4jSettings.resolve(write("three.json", "{\"gradient_checkpointing\": 3}"), new Properties());
        assertThat(three.gradientCheckpointing()).isTrue();
        assertThat(three.engineOptions().checkpointedBlocks(12)).isEqualTo(3);
        assertThat(three.engineOptions().checkpointedBlocks(2)).as("capped at the model's blocks").isEqualTo(2);
        assertThat(three.toString()).contains("first 3 blocks");
        Properties sys = new Properties();
        sys.setProperty("peft4j.gradient_checkpointing", "false");
        assertThat(Peft4jSettings.resolve(write("on.properties", "gradient_checkpointing=5\n"), sys).gradientCheckpointing()).isFalse();
        assertThat(Peft4jSettings.builder().checkpointedBlocks(4).gradientCheckpointing((Boolean) null).build().checkpointedBlocks())
                .as("null leaves the count").isEqualTo(4);
        for (String bad : new String[] {"-1", "some", "1.5"}) {
            assertThatThrownBy(() -> Peft4jSettings.resolve(write("bad.properties", "gradient_checkpointing=" + bad + "\n"), new Properties()))
                    .isInstanceOf(Peft4jException.class).hasMessageContaining("bad.properties")
                    .hasMessageContaining("block count").hasMessageContaining(bad);
        }
        assertThatThrownBy(() -> EngineOptions.defaults().withCheckpointedBlocks(-2)).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("-2");
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }
}
