package ai.peft4j.examples.summarization;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.data.Example;
import ai.peft4j.examples.summarization.data.SummarizationExample;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores a {@link Summarizer} on examples with reference summaries, with the competition's
 * Korean ROUGE.
 *
 * <pre>{@code
 * SummarizationEval.Report r = SummarizationEval.evaluate(summarizer, SummarizationData.bundledTest(), new KoreanRouge());
 * System.out.println(r.scores().average());
 * }</pre>
 */
public final class SummarizationEval {
    private SummarizationEval() {}

    /** Predictions in input order, their corpus scores, and the wall time of generation. */
    public record Report(List<SummarizationExample> predictions, CorpusRougeScores scores, double seconds) {}

    public static Report evaluate(Summarizer summarizer, List<SummarizationExample> examples, KoreanRouge rouge) {
        List<String> texts = new ArrayList<>();
        List<String> refs = new ArrayList<>();
        for (SummarizationExample e : examples) {
            if (e.summary() == null) {
                throw new Peft4jException("example " + e.id() + " has no reference summary; evaluation needs id,text,summary");
            }
            texts.add(e.text());
            refs.add(e.summary());
        }
        long t0 = System.nanoTime();
        List<String> hyps = summarizer.summarize(texts);
        double secs = (System.nanoTime() - t0) / 1e9;
        List<SummarizationExample> preds = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            preds.add(new SummarizationExample(examples.get(i).id(), examples.get(i).text(), hyps.get(i)));
        }
        return new Report(preds, rouge.scoreCorpus(hyps, refs), secs);
    }

    /** Training pairs in the competition's format: prompt {@code "{text} 한줄 요약:"}, completion {@code " {summary}"}. */
    public static List<Example> trainingExamples(List<SummarizationExample> examples, String template) {
        List<Example> out = new ArrayList<>();
        for (SummarizationExample e : examples) {
            if (e.summary() == null || e.summary().isBlank()) {
                throw new Peft4jException("training example " + e.id() + " has no summary");
            }
            out.add(new Example(template.replace("{text}", e.text()), " " + e.summary()));
        }
        return out;
    }
}
