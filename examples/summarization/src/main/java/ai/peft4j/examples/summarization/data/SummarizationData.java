package ai.peft4j.examples.summarization.data;

import ai.peft4j.api.io.AtomicFiles;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads and writes summarization data in the competition's formats.
 *
 * <ul>
 *   <li>CSV with a header naming {@code id}, {@code text} and optionally {@code summary}, in any
 *       order (extra columns are ignored). Quoting follows RFC 4180; a UTF-8 byte-order mark is
 *       skipped. An empty summary cell reads as null.
 *   <li>JSONL: one object per line with {@code "id"} (string or number), {@code "text"} and an
 *       optional {@code "summary"}; blank lines are skipped.
 *   <li>The submission CSV {@code id,summary}, written atomically.
 * </ul>
 *
 * <p>Malformed input fails with an {@link IllegalArgumentException} whose message starts with
 * {@code <file>:<line>:}.
 *
 * <pre>{@code
 * List<SummarizationExample> test = SummarizationData.read(Path.of("test.csv"));
 * List<SummarizationExample> predictions = new ArrayList<>();
 * for (SummarizationExample ex : test) {
 *   predictions.add(ex.withSummary(model.summarize(ex.text())));
 * }
 * SummarizationData.writeSubmission(Path.of("submission.csv"), predictions);
 * }</pre>
 */
public final class SummarizationData {

  /** Classpath folder of the embedded dataset. */
  public static final String RESOURCE_DIR = "/ai/peft4j/examples/summarization/data/";

  // RFC 4180 quoting with '\n' records, so files are identical on every platform.
  static final CSVFormat WRITE_FORMAT = CSVFormat.RFC4180.builder().setRecordSeparator("\n").get();
  private static final CSVFormat READ_FORMAT = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get();

  private SummarizationData() {}

  /**
   * Reads a CSV file, or a JSONL file when the name ends in {@code .jsonl} or {@code .json}.
   *
   * @param file the data file (UTF-8)
   * @return the examples in file order
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if the content is malformed
   */
  public static List<SummarizationExample> read(Path file) throws IOException {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".jsonl") || name.endsWith(".json") ? readJsonl(file) : readCsv(file);
  }

  /**
   * Reads a competition-format CSV file ({@code id,text[,summary]}).
   *
   * @param file the CSV file (UTF-8)
   * @return the examples in file order
   * @throws IOException if the file cannot be read
   */
  public static List<SummarizationExample> readCsv(Path file) throws IOException {
    return parseCsv(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Reads a JSONL file with one {@code {"id","text","summary"}} object per line.
   *
   * @param file the JSONL file (UTF-8)
   * @return the examples in file order
   * @throws IOException if the file cannot be read
   */
  public static List<SummarizationExample> readJsonl(Path file) throws IOException {
    return parseJsonl(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Reads a CSV file bundled on the classpath next to this class, e.g. {@code "train.csv"}.
   *
   * @param name file name inside {@link #RESOURCE_DIR}
   * @return the examples
   */
  public static List<SummarizationExample> readResource(String name) {
    String path = RESOURCE_DIR + name;
    try (InputStream in = SummarizationData.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalArgumentException("no classpath resource " + path);
      }
      return parseCsv(new String(in.readAllBytes(), StandardCharsets.UTF_8), name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns the embedded synthetic training split (see {@link SyntheticReportGenerator}).
   *
   * @return id, text and summary of every training pair
   */
  public static List<SummarizationExample> bundledTrain() {
    return readResource("train.csv");
  }

  /**
   * Returns the embedded synthetic test split, reference summaries included.
   *
   * @return id, text and summary of every test pair
   */
  public static List<SummarizationExample> bundledTest() {
    return readResource("test.csv");
  }

  /**
   * Parses competition-format CSV text.
   *
   * @param content the CSV text
   * @param source a name for error messages, usually the file name
   * @return the examples in order
   */
  public static List<SummarizationExample> parseCsv(String content, String source) {
    content = stripBom(content);
    int[] lineStarts = lineStarts(content);
    List<SummarizationExample> out = new ArrayList<>();
    try (CSVParser parser = CSVParser.parse(content, READ_FORMAT)) {
      int idCol = -1;
      int textCol = -1;
      int summaryCol = -1;
      List<String> header = null;
      for (CSVRecord record : parser) {
        int line = lineOf(lineStarts, record.getCharacterPosition());
        if (header == null) {
          header = record.toList().stream().map(String::strip).toList();
          idCol = header.indexOf("id");
          textCol = header.indexOf("text");
          summaryCol = header.indexOf("summary");
          if (idCol < 0 || textCol < 0) {
            throw error(
                source,
                line,
                "missing column '" + (idCol < 0 ? "id" : "text") + "' in header " + header
                    + "; expected id,text[,summary]");
          }
          continue;
        }
        int needed = Math.max(idCol, Math.max(textCol, summaryCol)) + 1;
        if (record.size() < needed) {
          throw error(
              source,
              line,
              "expected " + header.size() + " columns " + header + " but found " + record.size());
        }
        String id = record.get(idCol);
        if (id.isBlank()) {
          throw error(source, line, "empty id");
        }
        String summary = summaryCol < 0 ? null : record.get(summaryCol);
        out.add(
            new SummarizationExample(
                id, record.get(textCol), summary == null || summary.isEmpty() ? null : summary));
      }
      if (header == null) {
        throw error(source, 1, "empty file; expected a header id,text[,summary]");
      }
    } catch (IOException | UncheckedIOException e) {
      // commons-csv reports unterminated quotes and the like this way
      throw new IllegalArgumentException(source + ": malformed CSV: " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * Parses JSONL text.
   *
   * @param content one JSON object per line
   * @param source a name for error messages, usually the file name
   * @return the examples in order
   */
  public static List<SummarizationExample> parseJsonl(String content, String source) {
    String[] lines = stripBom(content).split("\n", -1);
    List<SummarizationExample> out = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      int lineNo = i + 1;
      JsonElement element;
      try {
        element = JsonParser.parseString(line);
      } catch (JsonParseException e) {
        throw new IllegalArgumentException(
            source + ":" + lineNo + ": malformed JSON: " + e.getMessage(), e);
      }
      if (!element.isJsonObject()) {
        throw error(source, lineNo, "expected a JSON object");
      }
      JsonObject obj = element.getAsJsonObject();
      String id = stringField(obj, "id", source, lineNo, true);
      if (id.isBlank()) {
        throw error(source, lineNo, "empty id");
      }
      String text = stringField(obj, "text", source, lineNo, true);
      String summary = stringField(obj, "summary", source, lineNo, false);
      out.add(new SummarizationExample(id, text, summary));
    }
    return out;
  }

  private static String stringField(
      JsonObject obj, String key, String source, int line, boolean required) {
    JsonElement value = obj.get(key);
    if (value == null || value.isJsonNull()) {
      if (required) {
        throw error(source, line, "missing \"" + key + "\"");
      }
      return null;
    }
    if (!value.isJsonPrimitive()) {
      throw error(source, line, "\"" + key + "\" must be a string");
    }
    return value.getAsString();
  }

  /**
   * Writes {@code id,text,summary} CSV atomically; a null summary is written empty.
   *
   * @param file the target; replaced only once fully written and forced to disk
   * @param examples rows in order
   * @throws ai.peft4j.api.Peft4jException naming the file if writing fails (the target is then left untouched)
   */
  public static void writeCsv(Path file, List<SummarizationExample> examples) throws IOException {
    writeAtomically(file, toCsv(examples));
  }

  /**
   * Writes the submission CSV {@code id,summary} atomically, with each example's summary as
   * the prediction (null is written empty).
   *
   * @param file the target; replaced only once fully written and forced to disk
   * @param predictions rows in order
   * @throws IOException if formatting fails
   * @throws ai.peft4j.api.Peft4jException naming the file if writing fails (the target is then left untouched)
   */
  public static void writeSubmission(Path file, List<SummarizationExample> predictions)
      throws IOException {
    StringBuilder out = new StringBuilder();
    try (CSVPrinter printer = new CSVPrinter(out, WRITE_FORMAT)) {
      printer.printRecord("id", "summary");
      for (SummarizationExample p : predictions) {
        printer.printRecord(p.id(), p.summary() == null ? "" : p.summary());
      }
    }
    writeAtomically(file, out.toString());
  }

  /**
   * One record of the submission CSV without its line end: {@link #writeSubmission} writes the
   * header {@code submissionRecord("id", "summary")}, then one such record per prediction, each
   * followed by {@code '\n'}. A distributed job that writes these lines in order writes the same
   * bytes.
   *
   * @param id the row id
   * @param summary the prediction (null is written empty)
   * @return the RFC 4180 record, quoted where needed
   */
  public static String submissionRecord(String id, String summary) {
    StringBuilder out = new StringBuilder();
    try (CSVPrinter printer = new CSVPrinter(out, WRITE_FORMAT)) {
      printer.printRecord(id, summary == null ? "" : summary);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringBuilder does not throw
    }
    return out.substring(0, out.length() - 1);
  }

  /**
   * Formats examples as {@code id,text,summary} CSV text with {@code \n} line endings.
   *
   * @param examples rows in order
   * @return the CSV text, header first
   */
  public static String toCsv(List<SummarizationExample> examples) {
    StringBuilder out = new StringBuilder();
    try (CSVPrinter printer = new CSVPrinter(out, WRITE_FORMAT)) {
      printer.printRecord("id", "text", "summary");
      for (SummarizationExample e : examples) {
        printer.printRecord(e.id(), e.text(), e.summary() == null ? "" : e.summary());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringBuilder does not throw
    }
    return out.toString();
  }

  /**
   * Writes text to {@code file} with {@link AtomicFiles}: a temporary sibling, forced to disk and
   * renamed over the target, so readers and a crash see the old file or the complete new one.
   */
  static void writeAtomically(Path file, String content) {
    AtomicFiles.writeString(file, content);
  }

  private static String stripBom(String s) {
    return s.startsWith("\uFEFF") ? s.substring(1) : s;
  }

  private static int[] lineStarts(String s) {
    int[] starts = new int[16];
    int n = 0;
    starts[n++] = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '\n') {
        if (n == starts.length) {
          starts = Arrays.copyOf(starts, n * 2);
        }
        starts[n++] = i + 1;
      }
    }
    return Arrays.copyOf(starts, n);
  }

  /** 1-based line of a character offset. */
  private static int lineOf(int[] lineStarts, long position) {
    int i = Arrays.binarySearch(lineStarts, (int) position);
    return (i >= 0 ? i : -i - 2) + 1;
  }

  private static IllegalArgumentException error(String source, int line, String message) {
    return new IllegalArgumentException(source + ":" + line + ": " + message);
  }
}
