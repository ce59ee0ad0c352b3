package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.full.ModelFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights stay in the memory-mapped safetensors file: a GPT-2-small-shaped checkpoint (about
 * 500 MB of float32) loads and generates in a JVM whose heap is capped at 256 MB.
 */
class LargeCheckpointHeapTest {
    @TempDir
    Path tmp;

    @Test
    void a500MbCheckpointGeneratesWithA256MbHeap() throws Exception {
        Path model = ModelFactory.writeRandom(tmp.resolve("gpt2-small"), ModelFactory.gpt2SmallConfig(), 1);
        assertThat(Files.size(model.resolve("model.safetensors"))).isGreaterThan(490_000_000L);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xmx256m", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                Peft4jCli.class.getName(), "generate", "--model", model.toString(), "--input-ids", "1,2,3,4", "--max-new-tokens", "2",
                "--threads", "1", "--json"))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("out.txt").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished").isTrue();
        String out = Files.readString(tmp.resolve("out.txt"), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("\"new_token_ids\"").doesNotContain("OutOfMemoryError");
        new File(model.resolve("model.safetensors").toString()).delete();
    }
}
