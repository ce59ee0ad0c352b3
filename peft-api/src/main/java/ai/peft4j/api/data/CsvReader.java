package ai.peft4j.api.data;

import ai.peft4j.api.Peft4jException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * An RFC 4180 CSV reader on Apache Commons CSV: the first record is the header; fields may be
 * quoted with {@code "}, with {@code ""} for a quote inside, and quoted fields may hold the
 * delimiter and line breaks; records end with CRLF or LF; a UTF-8 BOM is skipped. A record with a
 * different field count than the header is an error naming the line. Blank lines are skipped.
 *
 * <pre>{@code
 * List<DataRow> rows = CsvReader.read(Path.of("train.csv"));            // comma
 * List<DataRow> tsv = CsvReader.read(Path.of("train.tsv"), '\t');
 * }</pre>
 */
public final class CsvReader {
    private CsvReader() {}

    public static List<DataRow> read(Path file) {
        return read(file, ',');
    }

    public static List<DataRow> read(Path file, char delimiter) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(text, delimiter, file.toString());
    }

    /** Parses CSV text (RFC 4180, via Apache Commons CSV); {@code source} names it in errors and row locations. */
    public static List<DataRow> parse(String text, char delimiter, String source) {
        String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
        CSVFormat format = CSVFormat.RFC4180.builder().setDelimiter(delimiter).setIgnoreEmptyLines(true).build();
        List<CSVRecord> records;
        try (CSVParser parser = CSVParser.parse(body, format)) {
            records = parser.getRecords();
        } catch (IOException | UncheckedIOException | IllegalStateException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new Peft4jException(source + ": not valid CSV (" + (why.contains("EOF") ? "unterminated quoted field" : why) + ")", e);
        }
        if (records.isEmpty()) {
            throw new Peft4jException(source + ": empty CSV (a header row is required)");
        }
        List<String> header = records.get(0).toList();
        for (int h = 0; h < header.size(); h++) {
            if (header.indexOf(header.get(h)) != h) {
                throw new Peft4jException(source + ": duplicate column '" + header.get(h) + "' in the header");
            }
        }
        List<DataRow> rows = new ArrayList<>();
        int scanned = 0;
        long line = 1;
        for (int r = 1; r < records.size(); r++) {
            CSVRecord rec = records.get(r);
            // Records come in order: count newlines up to this record's first character.
            for (long end = Math.min(rec.getCharacterPosition(), body.length()); scanned < end; scanned++) {
                if (body.charAt(scanned) == '\n') {
                    line++;
                }
            }
            String where = source + ":" + line;
            if (rec.size() != header.size()) {
                throw new Peft4jException(where + ": " + rec.size() + " fields but the header has " + header.size() + " " + header);
            }
            Map<String, String> values = new LinkedHashMap<>();
            for (int c = 0; c < rec.size(); c++) {
                values.put(header.get(c), rec.get(c));
            }
            rows.add(new DataRow(where, Collections.unmodifiableMap(values)));
        }
        return rows;
    }
}
