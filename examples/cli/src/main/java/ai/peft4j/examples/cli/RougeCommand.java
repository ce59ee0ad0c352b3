package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.examples.summarization.CorpusRougeScores;
import ai.peft4j.examples.summarization.KoreanRouge;
import ai.peft4j.examples.summarization.RougeScores;
import ai.peft4j.examples.summarization.data.SummarizationData;
import ai.peft4j.examples.summarization.data.SummarizationExample;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j rouge}: ROUGE-1/2/L F1 over Korean morphemes of predictions against references,
 * both {@code id,summary} CSV files matched by id.
 *
 * <pre>{@code
 * peft4j rouge --predictions submission.csv --references test.csv --json
 * }</pre>
 */
@Command(name = "rouge", mixinStandardHelpOptions = true, description = "Score predictions with Korean ROUGE-1/2/L F1 (Mecab-style morphemes).")
public final class RougeCommand implements Callable<Integer> {
    @Option(names = "--predictions", required = true, paramLabel = "FILE", description = "id,summary CSV (or JSONL) of predictions.")
    Path predictions;

    @Option(names = "--references", required = true, paramLabel = "FILE", description = "id,summary CSV (or JSONL; id,text,summary works too).")
    Path references;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Map<String, String> refs = new LinkedHashMap<>();
        for (SummarizationExample e : readSummaries(references)) {
            refs.put(e.id(), e.summary());
        }
        List<String> hyps = new ArrayList<>();
        List<String> gold = new ArrayList<>();
        for (SummarizationExample p : readSummaries(predictions)) {
            String ref = refs.get(p.id());
            if (ref == null) {
                throw new Peft4jException(predictions + ": id '" + p.id() + "' has no reference in " + references);
            }
            hyps.add(p.summary());
            gold.add(ref);
        }
        if (hyps.size() != refs.size()) {
            throw new Peft4jException(predictions + ": " + hyps.size() + " predictions for " + refs.size() + " references");
        }
        CorpusRougeScores scores = new KoreanRouge().scoreCorpus(hyps, gold);
        print(spec, scores.average(), hyps.size(), json);
        return 0;
    }

    /** Reads id,summary rows, accepting files with or without a text column. */
    static List<SummarizationExample> readSummaries(Path file) throws IOException {
        String content = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
        String header = content.lines().findFirst().orElse("");
        if (file.toString().endsWith(".csv") && !header.contains("text")) {
            content = content.replaceFirst("^\\uFEFF?id,summary", "id,text,summary");
            List<SummarizationExample> out = new ArrayList<>();
            for (String[] row : parseTwoColumns(content.substring(content.indexOf('\n') + 1), file)) {
                out.add(new SummarizationExample(row[0], "", row[1]));
            }
            return out;
        }
        List<SummarizationExample> rows = SummarizationData.read(file);
        for (SummarizationExample e : rows) {
            if (e.summary() == null) {
                throw new Peft4jException(file + ": row '" + e.id() + "' has no summary");
            }
        }
        return rows;
    }

    private static List<String[]> parseTwoColumns(String body, Path file) throws IOException {
        List<String[]> out = new ArrayList<>();
        try (var parser = org.apache.commons.csv.CSVFormat.DEFAULT.parse(new java.io.StringReader(body))) {
            for (var r : parser) {
                if (r.size() != 2) {
                    throw new Peft4jException(file + ":" + r.getRecordNumber() + ": expected 2 columns (id,summary), got " + r.size());
                }
                out.add(new String[] {r.get(0), r.get(1)});
            }
        }
        return out;
    }

    static void print(picocli.CommandLine.Model.CommandSpec spec, RougeScores s, int n, boolean json) {
        var out = spec.commandLine().getOut();
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("documents", n);
            o.addProperty("rouge1", s.rouge1().f());
            o.addProperty("rouge2", s.rouge2().f());
            o.addProperty("rougeL", s.rougeL().f());
            o.addProperty("mean", s.mean());
            out.println(new GsonBuilder().setPrettyPrinting().create().toJson(o));
        } else {
            out.printf(Locale.ROOT, "documents %d  ROUGE-1 %.4f  ROUGE-2 %.4f  ROUGE-L %.4f  mean %.4f%n", n, s.rouge1().f(),
                    s.rouge2().f(), s.rougeL().f(), s.mean());
        }
    }
}
