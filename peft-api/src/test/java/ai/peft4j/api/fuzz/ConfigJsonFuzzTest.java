package ai.peft4j.api.fuzz;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.Architectures;
import ai.peft4j.api.model.DecoderConfig;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes {@code config.json} parsing and architecture selection: any text either yields a
 * config whose architecture lists its weights and sites, or a {@link Peft4jException}.
 */
class ConfigJsonFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void configParsingNeverFailsUncleanly(FuzzedDataProvider data) {
        String json = data.consumeRemainingAsString();
        try {
            DecoderConfig cfg = DecoderConfig.parse(json, "config.json");
            Architecture arch = Architectures.forConfig(cfg);
            arch.weightShapes(cfg);
            arch.linearSites(cfg);
        } catch (Peft4jException expected) {
            // the contract: a clear, typed error
        }
    }
}
