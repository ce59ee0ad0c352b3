package ai.peft4j.api.data;

import ai.peft4j.api.Peft4jException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small RFC 4180 CSV reader (no dependency): the first record is the header; fields may be
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

    /** Parses CSV text; {@code source} names it in errors and row locations. */
    public static List<DataRow> parse(String text, char delimiter, String source) {
        List<List<String>> records = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        int i = text.startsWith("\uFEFF") ? 1 : 0;
        int line = 1;
        int n = text.length();
        while (i < n) {
            int recordLine = line;
            List<String> fields = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean endOfRecord = false;
            while (!endOfRecord) {
                if (i < n && text.charAt(i) == '"') {
                    i++;
                    while (true) {
                        if (i >= n) {
                            throw new Peft4jException(source + ":" + recordLine + ": unterminated quoted field");
                        }
                        char c = text.charAt(i);
                        if (c == '"') {
                            if (i + 1 < n && text.charAt(i + 1) == '"') {
                                field.append('"');
                                i += 2;
                                continue;
                            }
                            i++;
                            break;
                        }
                        if (c == '\n') {
                            line++;
                        }
                        field.append(c);
                        i++;
                    }
                    if (i < n && text.charAt(i) != delimiter && text.charAt(i) != '\r' && text.charAt(i) != '\n') {
                        throw new Peft4jException(source + ":" + line + ": unexpected character after a closing quote "
                                + "(quotes inside a quoted field are written \"\")");
                    }
                } else {
                    while (i < n) {
                        char c = text.charAt(i);
                        if (c == delimiter || c == '\r' || c == '\n') {
                            break;
                        }
                        field.append(c);
                        i++;
                    }
                }
                fields.add(field.toString());
                field.setLength(0);
                if (i < n && text.charAt(i) == delimiter) {
                    i++;
                    continue;
                }
                if (i < n && text.charAt(i) == '\r') {
                    i++;
                }
                if (i < n && text.charAt(i) == '\n') {
                    i++;
                    line++;
                }
                endOfRecord = true;
            }
            if (fields.size() == 1 && fields.get(0).isEmpty()) {
                continue; // blank line
            }
            records.add(fields);
            lines.add(recordLine);
        }
        if (records.isEmpty()) {
            throw new Peft4jException(source + ": empty CSV (a header row is required)");
        }
        List<String> header = records.get(0);
        for (int h = 0; h < header.size(); h++) {
            if (header.indexOf(header.get(h)) != h) {
                throw new Peft4jException(source + ": duplicate column '" + header.get(h) + "' in the header");
            }
        }
        List<DataRow> rows = new ArrayList<>();
        for (int r = 1; r < records.size(); r++) {
            List<String> f = records.get(r);
            if (f.size() != header.size()) {
                throw new Peft4jException(source + ":" + lines.get(r) + ": " + f.size() + " fields but the header has "
                        + header.size() + " " + header);
            }
            Map<String, String> values = new LinkedHashMap<>();
            for (int c = 0; c < f.size(); c++) {
                values.put(header.get(c), f.get(c));
            }
            rows.add(new DataRow(source + ":" + lines.get(r), Collections.unmodifiableMap(values)));
        }
        return rows;
    }
}
