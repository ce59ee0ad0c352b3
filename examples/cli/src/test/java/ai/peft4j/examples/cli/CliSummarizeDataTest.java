package ai.peft4j.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.peft4j.examples.summarization.data.SummarizationData;
import ai.peft4j.examples.summarization.data.SyntheticReportGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j summarize data}: the generator behind the bundled dataset, from the command line. */
class CliSummarizeDataTest {
    @TempDir
    Path tmp;

    @Test
    void defaultsRewriteTheBundledFilesByteForByte() throws IOException {
        Path out = tmp.resolve("data");
        CliRun r = CliRun.of("summarize", "data", "--out", out.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("wrote 2060 train and 200 test pairs (seed 20240917)");
        assertThat(Files.readAllBytes(out.resolve("train.csv"))).isEqualTo(bundled("train.csv"));
        assertThat(Files.readAllBytes(out.resolve("test.csv"))).isEqualTo(bundled("test.csv"));
    }

    @Test
    void seedAndSizesAreOptions() throws IOException {
        CliRun r = CliRun.of("summarize", "data", "--out", tmp.toString(), "--seed", "11", "--train", "40", "--test", "10");
        assertThat(r.exit()).as(r.toString()).isZero();
        var expected = SyntheticReportGenerator.generate(11, 40, 10);
        assertThat(SummarizationData.read(tmp.resolve("train.csv"))).isEqualTo(expected.train());
        assertThat(SummarizationData.read(tmp.resolve("test.csv"))).isEqualTo(expected.test());
    }

    @Test
    void badSizesAndAMissingFolderAreUsageErrors() {
        CliRun negative = CliRun.of("summarize", "data", "--out", tmp.toString(), "--test", "-1");
        assertThat(negative.exit()).as(negative.toString()).isEqualTo(Peft4jCli.EXIT_BAD_INPUT);
        assertThat(negative.err()).startsWith("error: --train and --test must be 0 or more");
        CliRun noOut = CliRun.of("summarize", "data");
        assertThat(noOut.exit()).as(noOut.toString()).isEqualTo(Peft4jCli.EXIT_BAD_INPUT);
        assertThat(noOut.err()).contains("--out");
    }

    private static byte[] bundled(String name) throws IOException {
        try (InputStream in = SummarizationData.class.getResourceAsStream(SummarizationData.RESOURCE_DIR + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }
}
