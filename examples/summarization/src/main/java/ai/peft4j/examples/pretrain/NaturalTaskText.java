package ai.peft4j.examples.pretrain;

import ai.peft4j.examples.summarization.data.SummarizationData;
import ai.peft4j.examples.summarization.data.SummarizationExample;
import ai.peft4j.examples.summarization.data.SyntheticReportGenerator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Summarization as it occurs in natural text, for pretraining: document / one-line-summary pairs
 * written the ways news and reports carry them (a headline above the article, a "요약:" line after
 * it, a headline and body, a closing "정리하면," sentence), so the base model learns the skill
 * from its pretraining text, as GPT-2 did from "TL;DR:" on the web. None of the forms is the
 * demo's prompt {@code {text} 한줄 요약:}, which a soft prompt or LoRA then learns to reach.
 *
 * <p>The pairs come from the synthetic report generator with a seed of their own, and any pair
 * whose document or summary appears in the demo's bundled train or test split is dropped, so the
 * evaluation stays unseen.
 *
 * <pre>{@code
 * NaturalTaskText t = NaturalTaskText.generate(4000, 7_300_001L);
 * List<String> corpusLines = t.lines();   // t.dropped(): pairs removed as overlapping the splits
 * }</pre>
 *
 * @param lines the rendered texts, one corpus entry each
 * @param pairs the pairs they were rendered from
 * @param dropped how many generated pairs were removed because they overlap the demo's splits
 */
public record NaturalTaskText(List<String> lines, List<SummarizationExample> pairs, int dropped) {

    /** The surface forms, used in turn; {@code %1$s} is the document, {@code %2$s} the summary. */
    static final List<String> FORMS = List.of(
            "%2$s\n%1$s",
            "%1$s\n요약: %2$s",
            "제목: %2$s\n본문: %1$s",
            "%1$s 정리하면, %2$s");

    /** The demo's own prompt, which pretraining must not contain. */
    static final String DEMO_PROMPT_MARK = "한줄 요약:";

    /** {@code n} pairs from generator seed {@code seed}, disjoint from the bundled train and test splits. */
    public static NaturalTaskText generate(int n, long seed) {
        if (n < 0) {
            throw new ai.peft4j.api.Peft4jException("task pairs must be >= 0, got " + n);
        }
        Set<String> seen = new HashSet<>();
        for (List<SummarizationExample> split : List.of(SummarizationData.bundledTrain(), SummarizationData.bundledTest())) {
            for (SummarizationExample e : split) {
                seen.add(e.text());
                seen.add(e.summary());
            }
        }
        List<SummarizationExample> pairs = new ArrayList<>();
        int dropped = 0;
        int ask = n;
        long s = seed;
        while (pairs.size() < n) {
            for (SummarizationExample e : SyntheticReportGenerator.generate(s, ask, 0).train()) {
                if (pairs.size() == n) {
                    break;
                }
                if (seen.contains(e.text()) || seen.contains(e.summary())) {
                    dropped++;
                    continue;
                }
                seen.add(e.text());
                seen.add(e.summary());
                pairs.add(e);
            }
            s++; // another seed for what the first one could not give
            ask = Math.max(16, n - pairs.size());
        }
        List<String> lines = new ArrayList<>(pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            SummarizationExample e = pairs.get(i);
            lines.add(String.format(FORMS.get(i % FORMS.size()), e.text(), e.summary()));
        }
        return new NaturalTaskText(List.copyOf(lines), List.copyOf(pairs), dropped);
    }
}
