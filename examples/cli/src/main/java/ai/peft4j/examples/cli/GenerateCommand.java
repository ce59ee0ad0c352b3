package ai.peft4j.examples.cli;

import ai.peft4j.api.engine.EngineOptions;
import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.generate.GenerationResult;
import com.google.gson.JsonObject;
import com.google.inject.Injector;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j generate}: continues a prompt with Hugging Face {@code generate} semantics. Decoding
 * defaults come from the model's {@code generation_config.json} (else {@code config.json}), and
 * flags override them.
 *
 * <pre>{@code
 * peft4j generate --model stories260k --prompt "Once upon a time" --max-new-tokens 32
 * peft4j generate --model tiny-gpt2 --input-ids 1,2,3 --num-beams 4 --json
 * }</pre>
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate a continuation of a prompt.",
            "Prints the prompt plus continuation (special tokens skipped); with --json:",
            "prompt_ids, new_token_ids, text (prompt + continuation), new_text and",
            "finish_reason (eos or length). Decoding defaults (EOS, pad, sampling, beams)",
            "come from generation_config.json, else config.json; flags override them."})
public final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory (config.json, *.safetensors, tokenizer.json).")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    /** The prompt, as text or as token ids. */
    static final class Input {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text, encoded with the model's tokenizer.json.")
        String prompt;

        @Option(names = "--input-ids", split = ",", paramLabel = "ID", description = "Prompt token ids, comma-separated: 1,2,3.")
        int[] inputIds;
    }

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Tokens to generate at most (default 20, or the model's generation config).")
    Integer maxNewTokens;

    @Option(names = "--min-new-tokens", paramLabel = "N", description = "Suppress EOS until this many tokens are generated.")
    Integer minNewTokens;

    @Option(names = "--do-sample", negatable = true, description = "Sample instead of greedy decoding.")
    Boolean doSample;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature (default 1.0).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens; 0 disables (default 50).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass (default 1.0).")
    Double topP;

    @Option(names = "--seed", paramLabel = "S", description = "Sampling seed (default 42).")
    Long seed;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "CTRL repetition penalty (default 1.0 = off).")
    Double repetitionPenalty;

    @Option(names = "--no-repeat-ngram-size", paramLabel = "N", description = "Forbid repeating any n-gram of this size.")
    Integer noRepeatNgramSize;

    @Option(names = "--num-beams", paramLabel = "N", description = "Beam search with N beams (default 1 = off).")
    Integer numBeams;

    @Option(names = "--length-penalty", paramLabel = "L", description = "Beam score / length^L (default 1.0).")
    Double lengthPenalty;

    @Option(names = "--early-stopping", negatable = true, description = "Stop beam search once N hypotheses are finished.")
    Boolean earlyStopping;

    @Option(names = "--no-cache", description = "Re-run the whole sequence every step instead of using the KV cache.")
    boolean noCache;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Mixin
    AdapterFlags adapterFlags = new AdapterFlags();

    @Mixin
    EngineFlags engineFlags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Injector injector = engineFlags.injector();
        var engine = engineFlags.engine(injector);
        EngineOptions options = engineFlags.options(injector);
        try (LoadedModel m = LoadedModel.open(model, engine, options)) {
            adapterFlags.apply(m.model());
            int[] prompt = input.prompt != null ? m.encode(input.prompt) : input.inputIds;
            m.checkIds(prompt);
            GenerationConfig config = config(prompt.length);
            GenerationResult r = m.model().generate(new int[][] {prompt}, null, config);
            print(m, prompt, r.newTokens()[0], config);
        }
        return Peft4jCli.EXIT_OK;
    }

    private GenerationConfig config(int promptLength) {
        GenerationConfig.Builder b = GenerationDefaults.read(model).apply(GenerationConfig.builder(), promptLength);
        if (maxNewTokens != null) {
            b.maxNewTokens(maxNewTokens);
        }
        if (minNewTokens != null) {
            b.minNewTokens(minNewTokens);
        }
        if (doSample != null) {
            b.doSample(doSample);
        }
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (topK != null) {
            b.topK(topK);
        }
        if (topP != null) {
            b.topP(topP);
        }
        if (seed != null) {
            b.seed(seed);
        }
        if (repetitionPenalty != null) {
            b.repetitionPenalty(repetitionPenalty);
        }
        if (noRepeatNgramSize != null) {
            b.noRepeatNgramSize(noRepeatNgramSize);
        }
        if (numBeams != null) {
            b.numBeams(numBeams);
        }
        if (lengthPenalty != null) {
            b.lengthPenalty(lengthPenalty);
        }
        if (earlyStopping != null) {
            b.earlyStopping(earlyStopping);
        }
        return b.useCache(!noCache).build();
    }

    private void print(LoadedModel m, int[] prompt, int[] newIds, GenerationConfig config) {
        PrintWriter out = spec.commandLine().getOut();
        int[] all = Arrays.copyOf(prompt, prompt.length + newIds.length);
        System.arraycopy(newIds, 0, all, prompt.length, newIds.length);
        String text = m.decode(all);
        boolean eos = newIds.length > 0 && config.eosTokenIds().contains(newIds[newIds.length - 1]);
        if (json) {
            JsonObject o = new JsonObject();
            o.add("prompt_ids", CliJson.array(prompt));
            o.add("new_token_ids", CliJson.array(newIds));
            o.addProperty("text", text);
            o.addProperty("new_text", m.decode(newIds));
            o.addProperty("finish_reason", eos ? "eos" : "length");
            out.println(CliJson.toJson(o));
        } else if (text != null) {
            out.println(text);
        } else {
            // No tokenizer.json: the ids are all there is to show.
            out.println(Arrays.stream(newIds).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        }
        out.flush();
    }
}
