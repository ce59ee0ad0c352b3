package ai.peft4j.examples.pretrain;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.examples.summarization.data.SummarizationData;
import ai.peft4j.examples.summarization.data.SummarizationExample;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pretraining task text is disjoint from the demo's splits and never uses the demo's prompt. */
class NaturalTaskTextTest {
    @Test
    void noTestOrTrainDocumentOrSummaryAppearsAndEveryFormIsUsed() {
        NaturalTaskText t = NaturalTaskText.generate(800, 7_300_001L);
        assertThat(t.lines()).hasSize(800);
        assertThat(t.pairs()).hasSize(800);
        Set<String> demo = new HashSet<>();
        for (List<SummarizationExample> split : List.of(SummarizationData.bundledTrain(), SummarizationData.bundledTest())) {
            for (SummarizationExample e : split) {
                demo.add(e.text());
                demo.add(e.summary());
            }
        }
        assertThat(demo).hasSizeGreaterThan(4000);
        for (SummarizationExample p : t.pairs()) {
            assertThat(demo).as("a pretraining pair from the demo's splits").doesNotContain(p.text(), p.summary());
        }
        for (SummarizationExample test : SummarizationData.bundledTest()) {
            for (String line : t.lines().subList(0, 200)) {
                assertThat(line).doesNotContain(test.text());
            }
        }
        assertThat(t.lines()).noneMatch(l -> l.contains(NaturalTaskText.DEMO_PROMPT_MARK));
        for (int f = 0; f < NaturalTaskText.FORMS.size(); f++) {
            SummarizationExample p = t.pairs().get(f);
            assertThat(t.lines().get(f)).as("form %d", f).contains(p.text()).contains(p.summary())
                    .isEqualTo(String.format(NaturalTaskText.FORMS.get(f), p.text(), p.summary()));
        }
        assertThat(new HashSet<>(t.lines())).as("no pair twice").hasSize(800);
        assertThat(NaturalTaskText.generate(800, 7_300_001L)).as("seeded").isEqualTo(t);
    }
}
