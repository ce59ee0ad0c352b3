package ai.peft4j.api.data;

import java.util.Map;

/**
 * One record of a data file: its location (for error messages) and its column values as text.
 *
 * <pre>{@code
 * for (DataRow row : CsvReader.read(path)) { String text = row.values().get("text"); }
 * }</pre>
 */
public record DataRow(String where, Map<String, String> values) {}
