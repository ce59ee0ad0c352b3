package ai.peft4j.spark;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The tests' Spark: one local-mode session for the whole test JVM, started here, bound to the
 * loopback address. {@code local[2,2]}: two task threads, and a failed task is retried once
 * (Spark's maxFailures = 2), which the retry test relies on.
 */
final class LocalSpark {
    private static SparkSession spark;

    private LocalSpark() {}

    static synchronized SparkSession session() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2,2]").appName("peft4j-spark-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "2")
                    .getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> spark.stop()));
        }
        return spark;
    }

    static Path home() {
        return Path.of(System.getProperty("peft4j.home", "."));
    }

    /** One in-process run of a command line, with its output. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    static Run sparkCli(String... args) {
        session(); // the command reuses the tests' session
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SparkCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static Run peft4jCli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ai.peft4j.examples.cli.Peft4jCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }
}
