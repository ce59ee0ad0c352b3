package ai.peft4j.api.data;

import ai.peft4j.api.Peft4jException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Builds {@link Example}s from data files with prompt and completion templates.
 *
 * <pre>{@code
 * // JSONL or CSV by extension; prompt "{text} 한줄 요약:", completion " {summary}"
 * List<Example> train = Examples.read(Path.of("train.csv"), "{text} 한줄 요약:", " {summary}");
 * }</pre>
 */
public final class Examples {
    private Examples() {}

    /**
     * Reads {@code .jsonl}/{@code .json}/{@code .ndjson} as JSON Lines, {@code .csv} as CSV and
     * {@code .tsv} as tab-separated, and fills the templates from each row.
     */
    public static List<Example> read(Path file, String promptTemplate, String completionTemplate) {
        return fromRows(readRows(file), PromptTemplate.of(promptTemplate), PromptTemplate.of(completionTemplate));
    }

    /** The rows of a data file, by extension (see {@link #read}). */
    public static List<DataRow> readRows(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) {
            return JsonlReader.read(file);
        }
        if (name.endsWith(".csv")) {
            return CsvReader.read(file, ',');
        }
        if (name.endsWith(".tsv")) {
            return CsvReader.read(file, '\t');
        }
        throw new Peft4jException(file + ": unknown data format; use .jsonl (JSON Lines), .csv or .tsv");
    }

    public static List<Example> fromRows(List<DataRow> rows, PromptTemplate prompt, PromptTemplate completion) {
        List<Example> out = new ArrayList<>(rows.size());
        for (DataRow r : rows) {
            out.add(new Example(prompt.format(r.values(), r.where()), completion.format(r.values(), r.where())));
        }
        return out;
    }
}
