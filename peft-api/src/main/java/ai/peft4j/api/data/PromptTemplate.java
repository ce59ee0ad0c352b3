package ai.peft4j.api.data;

import ai.peft4j.api.Peft4jException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A text template with {@code {column}} placeholders filled from a data row; {@code {{} and
 * {@code }}} write literal braces. A missing or null column is an error naming the row.
 *
 * <pre>{@code
 * PromptTemplate t = PromptTemplate.of("{text} 한줄 요약:");
 * String prompt = t.format(Map.of("text", "배우들 연기가 좋았다"), "train.jsonl:1");
 * }</pre>
 */
public final class PromptTemplate {
    private final String template;
    private final List<Object> parts; // String literal or Column
    private final Set<String> columns;

    private record Column(String name) {}

    private PromptTemplate(String template) {
        this.template = template;
        List<Object> p = new ArrayList<>();
        Set<String> cols = new LinkedHashSet<>();
        StringBuilder lit = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c == '{' && i + 1 < template.length() && template.charAt(i + 1) == '{') {
                lit.append('{');
                i += 2;
            } else if (c == '}' && i + 1 < template.length() && template.charAt(i + 1) == '}') {
                lit.append('}');
                i += 2;
            } else if (c == '{') {
                int end = template.indexOf('}', i);
                if (end < 0) {
                    throw new Peft4jException("template '" + template + "': unclosed '{' at " + i);
                }
                String name = template.substring(i + 1, end).trim();
                if (name.isEmpty()) {
                    throw new Peft4jException("template '" + template + "': empty placeholder {} at " + i);
                }
                if (lit.length() > 0) {
                    p.add(lit.toString());
                    lit.setLength(0);
                }
                p.add(new Column(name));
                cols.add(name);
                i = end + 1;
            } else if (c == '}') {
                throw new Peft4jException("template '" + template + "': unmatched '}' at " + i + " (write }} for a literal brace)");
            } else {
                lit.append(c);
                i++;
            }
        }
        if (lit.length() > 0) {
            p.add(lit.toString());
        }
        this.parts = List.copyOf(p);
        this.columns = Collections.unmodifiableSet(cols);
    }

    public static PromptTemplate of(String template) {
        if (template == null) {
            throw new Peft4jException("template must not be null");
        }
        return new PromptTemplate(template);
    }

    /** The column names the template reads, in order of first use. */
    public Set<String> columns() {
        return columns;
    }

    /** Fills the placeholders from {@code row}; {@code where} names the row in errors. */
    public String format(Map<String, String> row, String where) {
        StringBuilder sb = new StringBuilder();
        for (Object part : parts) {
            if (part instanceof Column col) {
                String v = row.get(col.name());
                if (v == null) {
                    throw new Peft4jException(where + ": no value for column '" + col.name() + "' (template '" + template
                            + "'; columns present: " + row.keySet() + ")");
                }
                sb.append(v);
            } else {
                sb.append((String) part);
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return template;
    }
}
