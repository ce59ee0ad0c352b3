package ai.peft4j.examples.cli;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.examples.summarization.data.SyntheticReportGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j summarize data}: writes the synthetic Korean report dataset
 * ({@link SyntheticReportGenerator}) as {@code train.csv} and {@code test.csv}. The defaults
 * rewrite the bundled files byte for byte; other seeds and sizes give other, equally
 * deterministic, datasets.
 *
 * <pre>{@code
 * peft4j summarize data --out data/reports                       # the bundled dataset
 * peft4j summarize data --out data/big --seed 7 --train 20000 --test 1000
 * }</pre>
 */
@Command(name = "data", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write the synthetic Korean report dataset (train.csv, test.csv); the defaults rewrite the bundled files.")
public final class SummarizeDataCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for train.csv and test.csv (created if missing).")
    Path out;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed (default ${DEFAULT-VALUE}, the bundled files').")
    long seed = SyntheticReportGenerator.DEFAULT_SEED;

    @Option(names = "--train", paramLabel = "N", description = "Generated training pairs; the hand-written pairs come on top (default ${DEFAULT-VALUE}).")
    int train = SyntheticReportGenerator.DEFAULT_TRAIN;

    @Option(names = "--test", paramLabel = "N", description = "Test pairs, with reference summaries (default ${DEFAULT-VALUE}).")
    int test = SyntheticReportGenerator.DEFAULT_TEST;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (train < 0 || test < 0) {
            throw new Peft4jException("--train and --test must be 0 or more");
        }
        SyntheticReportGenerator.Splits s = SyntheticReportGenerator.write(out, seed, train, test);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %d train and %d test pairs (seed %d) to %s%n", s.train().size(),
                s.test().size(), seed, out);
        return 0;
    }
}
