package ai.peft4j.api.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.TrainBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Readers, templates, the causal-LM encoder and the length-bucketing batcher. */
class TrainerDataTest {
    @TempDir
    Path tmp;

    /** One id per character: easy to reason about lengths. */
    private static final Function<String, int[]> CHARS = s -> s.chars().toArray();

    @Test
    void csvFollowsRfc4180() {
        String text = "\uFEFFtext,summary\r\n\"a, \"\"quoted\"\"\nline\",short\r\nplain,\"x\"\n\n";
        List<DataRow> rows = CsvReader.parse(text, ',', "t.csv");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).values()).containsEntry("text", "a, \"quoted\"\nline").containsEntry("summary", "short");
        assertThat(rows.get(1).values()).containsEntry("text", "plain").containsEntry("summary", "x");
        assertThat(rows.get(1).where()).isEqualTo("t.csv:4");
        assertThatThrownBy(() -> CsvReader.parse("a,b\n1,2,3\n", ',', "bad.csv")).hasMessageContaining("bad.csv:2")
                .hasMessageContaining("3 fields");
        assertThatThrownBy(() -> CsvReader.parse("a\n\"open\n", ',', "q.csv")).hasMessageContaining("unterminated");
        assertThat(CsvReader.parse("a\tb\n1\t2\n", '\t', "t.tsv").get(0).values()).containsEntry("b", "2");
    }

    @Test
    void jsonlAndTemplatesBuildExamples() throws Exception {
        Path f = tmp.resolve("train.jsonl");
        Files.writeString(f, "{\"text\": \"배우들 연기가 좋았다\", \"summary\": \"좋은 영화\", \"id\": 3}\n\n{\"text\": \"지루했다\", \"summary\": \"별로\"}\n",
                StandardCharsets.UTF_8);
        List<Example> ex = Examples.read(f, "{text} 한줄 요약:", " {summary}");
        assertThat(ex).containsExactly(new Example("배우들 연기가 좋았다 한줄 요약:", " 좋은 영화"), new Example("지루했다 한줄 요약:", " 별로"));
        assertThat(JsonlReader.read(f).get(0).values()).containsEntry("id", "3");
        assertThatThrownBy(() -> Examples.read(f, "{body}", "{summary}")).hasMessageContaining("train.jsonl:1")
                .hasMessageContaining("column 'body'");
        assertThat(PromptTemplate.of("{{literal}} {x}").format(Map.of("x", "1"), "r")).isEqualTo("{literal} 1");
        Path csv = tmp.resolve("d.csv");
        Files.writeString(csv, "text,summary\n좋다,굿\n", StandardCharsets.UTF_8);
        assertThat(Examples.read(csv, "{text} 한줄 요약:", " {summary}")).containsExactly(new Example("좋다 한줄 요약:", " 굿"));
    }

    @Test
    void encoderMasksThePromptAppendsEosAndTruncatesOnlyExplicitly() {
        CausalLmEncoder enc = CausalLmEncoder.builder(CHARS, CHARS).eosTokenId(0).maxLength(8).build();
        EncodedExamples r = enc.encode(List.of(new Example("abc", "de"), new Example("0123456789", "xy"), new Example("p", "toolongcompletion")));
        TokenizedExample first = r.examples().get(0);
        assertThat(first.inputIds()).containsExactly('a', 'b', 'c', 'd', 'e', 0);
        assertThat(first.labels()).containsExactly(-100, -100, -100, 'd', 'e', 0);
        assertThat(first.targetCount()).isEqualTo(3);
        TokenizedExample cut = r.examples().get(1);
        assertThat(cut.inputIds()).containsExactly('5', '6', '7', '8', '9', 'x', 'y', 0); // prompt cut from the left
        assertThat(r.truncated()).isEqualTo(1);
        assertThat(r.skipped()).isEqualTo(1);
        assertThat(r.examples()).hasSize(2);
        CausalLmEncoder strict = CausalLmEncoder.builder(CHARS, CHARS).eosTokenId(0).maxLength(8).truncation(Truncation.ERROR).build();
        assertThatThrownBy(() -> strict.encode(List.of(new Example("0123456789", "xy")))).isInstanceOf(Peft4jException.class)
                .hasMessageContaining("example 0 has 13 tokens");
        assertThatThrownBy(() -> CausalLmEncoder.builder(CHARS, CHARS).build()).hasMessageContaining("eosTokenId");
    }

    @Test
    void batcherIsDeterministicCoversEveryExampleAndBucketsByLength() {
        List<TokenizedExample> data = new ArrayList<>();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
        for (int i = 0; i < 103; i++) {
            int[] ids = new int[2 + rnd.nextInt(60)];
            Arrays.fill(ids, i + 1);
            data.add(TokenizedExample.ofSequence(ids));
        }
        LengthBucketBatcher bucketed = new LengthBucketBatcher(data, 8, true, 7, 50, 0);
        LengthBucketBatcher plain = new LengthBucketBatcher(data, 8, true, 7, 1, 0);
        assertThat(bucketed.batchesPerEpoch()).isEqualTo(13);
        List<int[]> e0 = bucketed.epochBatches(0);
        assertThat(e0).hasSize(13);
        assertThat(flatten(e0)).hasSize(103).containsExactlyInAnyOrderElementsOf(range(103));
        assertThat(flatten(bucketed.epochBatches(0))).containsExactlyElementsOf(flatten(e0));
        assertThat(flatten(bucketed.epochBatches(1))).isNotEqualTo(flatten(e0));
        assertThat(padding(bucketed, e0)).isLessThan(padding(plain, plain.epochBatches(0)) / 3);

        TrainBatch b = LengthBucketBatcher.collate(List.of(TokenizedExample.ofSequence(new int[] {5, 6, 7}),
                new TokenizedExample(new int[] {8, 9}, new int[] {-100, 9})), 99);
        assertThat(b.inputIds()[1]).containsExactly(8, 9, 99);
        assertThat(b.attentionMask()[1]).containsExactly(1, 1, 0);
        assertThat(b.labels()[1]).containsExactly(-100, 9, -100);
        assertThat(b.targetCount()).isEqualTo(3);
    }

    private static List<Integer> flatten(List<int[]> batches) {
        List<Integer> out = new ArrayList<>();
        batches.forEach(b -> Arrays.stream(b).forEach(out::add));
        return out;
    }

    private static Set<Integer> range(int n) {
        Set<Integer> s = new HashSet<>();
        for (int i = 0; i < n; i++) {
            s.add(i);
        }
        return s;
    }

    private static long padding(LengthBucketBatcher b, List<int[]> batches) {
        long pad = 0;
        for (int[] idx : batches) {
            TrainBatch t = b.collate(idx);
            for (int[] m : t.attentionMask()) {
                for (int x : m) {
                    pad += 1 - x;
                }
            }
        }
        return pad;
    }
}
