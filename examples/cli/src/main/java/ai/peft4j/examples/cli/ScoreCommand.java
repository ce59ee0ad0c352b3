package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.TrainBatch;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j score}: the causal-LM loss of a text under a model, computed like Hugging Face's
 * {@code model(ids, labels=ids).loss}: every token after the first is predicted from the ones
 * before it, and the loss is the mean negative log-likelihood of those predictions.
 *
 * <pre>{@code
 * peft4j score --model stories260k --text "Once upon a time, there was a little girl."
 * }</pre>
 */
@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score a text: mean token loss, perplexity and token count.",
            "The loss is the mean negative log-likelihood (nats) of every token after the",
            "first, given the ones before it (labels = input ids, as Hugging Face computes",
            "it); perplexity = exp(loss)."})
public final class ScoreCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory.")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    /** The text to score, as text or as token ids. */
    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "Text, encoded with the model's tokenizer.json.")
        String text;

        @Option(names = "--input-ids", split = ",", paramLabel = "ID", description = "Token ids, comma-separated: 1,2,3.")
        int[] inputIds;
    }

    @Option(names = "--json", description = "Print JSON (mean_loss, perplexity, tokens, input_tokens, loss_sum).")
    boolean json;

    @Mixin
    AdapterFlags adapterFlags = new AdapterFlags();

    @Mixin
    EngineFlags engineFlags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (LoadedModel m = engineFlags.open(model)) {
            adapterFlags.apply(m.model());
            int[] ids = input.text != null ? m.encode(input.text) : input.inputIds;
            m.checkIds(ids);
            if (ids.length < 2) {
                throw new Peft4jException("scoring needs at least 2 tokens (the first one is never predicted), got " + ids.length);
            }
            int context = m.checkpoint().config().maxPositions();
            if (ids.length > context) {
                throw new Peft4jException("text of " + ids.length + " tokens exceeds the model's context of " + context + " positions");
            }
            int[] mask = new int[ids.length];
            Arrays.fill(mask, 1);
            TrainBatch batch = new TrainBatch(new int[][] {ids}, new int[][] {mask}, new int[][] {ids.clone()});
            LossResult r = m.model().loss(batch);
            print(r, ids.length);
        }
        return Peft4jCli.EXIT_OK;
    }

    private void print(LossResult r, int inputTokens) {
        PrintWriter out = spec.commandLine().getOut();
        double mean = r.meanLoss();
        double ppl = Math.exp(mean);
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("mean_loss", mean);
            o.addProperty("perplexity", ppl);
            o.addProperty("tokens", r.tokens());
            o.addProperty("input_tokens", inputTokens);
            o.addProperty("loss_sum", r.lossSum());
            out.println(CliJson.toJson(o));
        } else {
            out.printf(Locale.ROOT, "mean loss   %.6f%n", mean);
            out.printf(Locale.ROOT, "perplexity  %.4f%n", ppl);
            out.printf(Locale.ROOT, "tokens      %d predicted (%d input tokens)%n", r.tokens(), inputTokens);
        }
        out.flush();
    }
}
