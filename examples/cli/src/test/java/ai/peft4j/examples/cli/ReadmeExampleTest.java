package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.Engine;
import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.generate.GenerationResult;
import ai.peft4j.api.generate.Generator;
import ai.peft4j.api.inject.Peft4jModule;
import ai.peft4j.api.inject.Peft4jSettings;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.tokenizer.TextTokenizer;
import ai.peft4j.testkit.Fixtures;
import com.google.inject.Guice;
import com.google.inject.Injector;
import org.junit.jupiter.api.Test;

/** The Java example in README.md, kept compiling and true. */
class ReadmeExampleTest {

    @Test
    void readmeJavaExample() {
        String printed;
        // ---- as in README.md ("In Java the same wiring is a Guice module") ----
        Peft4jSettings settings = Peft4jSettings.resolve(null, System.getProperties());
        Injector injector = Guice.createInjector(new Peft4jModule(settings));
        Engine engine = injector.getInstance(Engine.class);
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.model("stories260k"));
             DecoderRuntime rt = engine.load(ckpt, injector.getInstance(EngineOptions.class));
             TextTokenizer tok = TextTokenizer.load(ckpt.directory())) {
            GenerationResult r = new Generator(rt, HookSet.EMPTY)
                    .generate(new int[][] {tok.encode("Once upon a time")}, null,
                              GenerationConfig.builder().maxNewTokens(32).eosTokenId(2).build());
            printed = tok.decode(r.sequences()[0], true);
        }
        // ----
        assertThat(printed).isEqualTo("Once upon a time, there was a little girl named Lily. She loved to play outside in the park."
                + " One day, she saw");
    }
}
