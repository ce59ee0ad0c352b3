package ai.peft4j.examples.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.engine.Engines;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.examples.summarization.EmbeddedModel;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Regression test for gradients read from freed memory on the PyTorch engine. DJL's
 * {@code mul(Number)} and friends wrap the number in a Java buffer that is released right after
 * the op, while autograd keeps it for the backward pass. On the embedded float16 model the first
 * training step loads and widens the weights during the forward pass, which reuses that memory:
 * layers 0 and 1 got NaN gradients at a finite loss, every time, in a fresh JVM. The same
 * effect, rarer, made later steps return NaN or silently wrong gradients.
 *
 * <p>The fault depends on the JVM's memory history, so the step runs in a fresh JVM with default
 * settings, as a user's first {@code peft4j} run would.
 */
class FirstStepGradientTest {
    @Test
    void theFirstStepInAFreshJvmHasTheGradientsOfARepeatedStep() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                FirstStep.class.getName(), EmbeddedModel.dir().toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("tensors 56").contains("non-finite []").contains("differing []");
    }

    /** One LoRA step on the embedded model, right after it is opened, then the same step again. */
    public static final class FirstStep {
        public static void main(String[] args) {
            try (PeftModel model = PeftModel.open(Path.of(args[0]), Engines.byName("pytorch"), new EngineOptions("cpu", 1))) {
                model.addAdapter("lora", PeftMethods.byName("lora").parseConfig(JsonParser.parseString(
                        "{\"r\": 16, \"lora_alpha\": 32, \"target_modules\": \"all-linear\", \"init_lora_weights\": false}")
                        .getAsJsonObject(), "test"));
                TrainBatch batch = randomBatch();
                model.runtime().setSeed(7);
                LossResult first = model.runtime().lossAndGradients(batch, model.hooks(), true);
                model.runtime().setSeed(7);
                LossResult again = model.runtime().lossAndGradients(batch, model.hooks(), true);
                List<String> nonFinite = new ArrayList<>();
                List<String> differing = new ArrayList<>();
                for (Map.Entry<String, HostTensor> e : first.gradients().entrySet()) {
                    float[] g = e.getValue().data();
                    float[] h = again.gradients().get(e.getKey()).data();
                    boolean finite = true;
                    boolean same = true;
                    for (int i = 0; i < g.length; i++) {
                        finite &= Float.isFinite(g[i]);
                        same &= Float.floatToIntBits(g[i]) == Float.floatToIntBits(h[i]);
                    }
                    if (!finite) {
                        nonFinite.add(e.getKey());
                    }
                    if (!same) {
                        differing.add(e.getKey());
                    }
                }
                System.out.println("loss " + first.lossSum() + " / " + again.lossSum() + "; tensors " + first.gradients().size()
                        + "; non-finite " + nonFinite + "; differing " + differing);
            }
        }

        private static TrainBatch randomBatch() {
            Random r = new Random(1);
            int b = 8;
            int t = 120;
            int[][] ids = new int[b][t];
            int[][] mask = new int[b][t];
            int[][] labels = new int[b][t];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    ids[i][j] = r.nextInt(3000);
                    mask[i][j] = j < t - i * 7 ? 1 : 0;
                    labels[i][j] = mask[i][j] == 1 && j > 60 ? ids[i][j] : TrainBatch.IGNORE;
                }
            }
            return new TrainBatch(ids, mask, labels);
        }
    }
}
