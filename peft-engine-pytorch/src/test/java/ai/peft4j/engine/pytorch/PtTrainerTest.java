package ai.peft4j.engine.pytorch;

import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethods;
import ai.peft4j.testkit.AbstractTrainerTest;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.List;

/** The trainer battery on PyTorch; the extra LoRA with dropout checks deterministic reseeding on resume. */
class PtTrainerTest extends AbstractTrainerTest {
    @Override
    protected Engine engine() {
        return new PtEngine();
    }

    @Override
    protected List<PeftConfig> extraResumeConfigs(Path model) {
        return List.of(PeftMethods.byName("lora").parseConfig(
                JsonParser.parseString("{\"r\": 4, \"lora_alpha\": 8, \"lora_dropout\": 0.2, \"target_modules\": [\"c_attn\", \"c_fc\"]}")
                        .getAsJsonObject(), "test"));
    }
}
