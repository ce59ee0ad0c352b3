package ai.peft4j.examples.summarization;

import ai.peft4j.api.generate.GenerationConfig;
import ai.peft4j.api.generate.GenerationResult;
import ai.peft4j.api.peft.PeftModel;
import ai.peft4j.api.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Writes one-line summaries with a {@link PeftModel}: formats each document with the prompt
 * template, generates in left-padded batches (sorted by length so little is padded), decodes the
 * new tokens and optionally keeps only the first sentence.
 *
 * <pre>{@code
 * Summarizer s = new Summarizer(model, tokenizer, GenerationConfig.builder().maxNewTokens(48).eosTokenId(eos).build());
 * List<String> summaries = s.summarize(List.of("서울의 오늘 기온은 ..."));
 * }</pre>
 */
public final class Summarizer {
    /** The competition's prompt: the document, then "한줄 요약:". */
    public static final String DEFAULT_TEMPLATE = "{text} 한줄 요약:";

    private final PeftModel model;
    private final TextTokenizer tokenizer;
    private final GenerationConfig config;
    private String template = DEFAULT_TEMPLATE;
    private int batchSize = 16;
    private boolean firstSentenceOnly;
    private String adapter;
    private int truncated;

    public Summarizer(PeftModel model, TextTokenizer tokenizer, GenerationConfig config) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.config = config;
    }

    /** The prompt template; {@code {text}} is replaced by the document. */
    public Summarizer setTemplate(String template) {
        if (!template.contains("{text}")) {
            throw new IllegalArgumentException("the prompt template must contain {text}: " + template);
        }
        this.template = template;
        return this;
    }

    public Summarizer setBatchSize(int batchSize) {
        this.batchSize = Math.max(1, batchSize);
        return this;
    }

    /** Keep only the first sentence of each generated summary. */
    public Summarizer setFirstSentenceOnly(boolean firstSentenceOnly) {
        this.firstSentenceOnly = firstSentenceOnly;
        return this;
    }

    /**
     * Runs every document through one named adapter ({@link PeftModel#BASE} for the base model)
     * instead of the model's active adapters, leaving the model's state alone, so summarizers
     * for different adapters can share one model across threads. Null (the default) uses the
     * active adapters.
     */
    public Summarizer setAdapter(String adapterName) {
        if (adapterName != null && !adapterName.equals(PeftModel.BASE)) {
            model.adapter(adapterName); // fails now, naming the loaded adapters, rather than mid-batch
        }
        this.adapter = adapterName;
        return this;
    }

    /** How many documents were cut from the front to fit the context in the last call. */
    public int truncatedCount() {
        return truncated;
    }

    /** Encodes a document into prompt ids, trimming the document's start if the prompt would not fit. */
    public int[] promptIds(String text) {
        String[] parts = template.split("\\{text\\}", -1);
        int[] head = parts[0].isEmpty() ? new int[0] : tokenizer.encode(parts[0]);
        int[] doc = tokenizer.encode(text);
        int[] tail = parts[1].isEmpty() ? new int[0] : tokenizer.encode(parts[1]);
        int prefix = adapter == null ? model.hooks().prefixLength() : model.hooks(new String[] {adapter}).prefixLength();
        int budget = model.runtime().config().maxPositions() - config.maxNewTokens() - prefix
                - head.length - tail.length;
        if (budget <= 0) {
            throw new IllegalArgumentException("max new tokens " + config.maxNewTokens() + " leave no room for a document in a context of "
                    + model.runtime().config().maxPositions());
        }
        if (doc.length > budget) {
            doc = Arrays.copyOfRange(doc, doc.length - budget, doc.length);
            truncated++;
        }
        int[] ids = new int[head.length + doc.length + tail.length];
        System.arraycopy(head, 0, ids, 0, head.length);
        System.arraycopy(doc, 0, ids, head.length, doc.length);
        System.arraycopy(tail, 0, ids, head.length + doc.length, tail.length);
        return ids;
    }

    /** Summarizes documents; the result is in input order. */
    public List<String> summarize(List<String> texts) {
        truncated = 0;
        int n = texts.size();
        int[][] prompts = new int[n][];
        for (int i = 0; i < n; i++) {
            prompts[i] = promptIds(texts.get(i));
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> prompts[i].length));
        String[] out = new String[n];
        int pad = config.padTokenId() != null ? config.padTokenId()
                : config.eosTokenIds().isEmpty() ? 0 : config.eosTokenIds().iterator().next();
        for (int start = 0; start < n; start += batchSize) {
            int end = Math.min(n, start + batchSize);
            int width = 0;
            for (int k = start; k < end; k++) {
                width = Math.max(width, prompts[order[k]].length);
            }
            int[][] ids = new int[end - start][width];
            int[][] mask = new int[end - start][width];
            for (int k = start; k < end; k++) {
                int[] p = prompts[order[k]];
                int off = width - p.length;
                Arrays.fill(ids[k - start], 0, off, pad);
                System.arraycopy(p, 0, ids[k - start], off, p.length);
                Arrays.fill(mask[k - start], off, width, 1);
            }
            GenerationResult r;
            if (adapter == null) {
                r = model.generate(ids, mask, config);
            } else {
                String[] rows = new String[end - start];
                Arrays.fill(rows, adapter);
                r = model.generate(ids, mask, config, rows);
            }
            for (int k = start; k < end; k++) {
                out[order[k]] = clean(r.newTokens()[k - start]);
            }
        }
        return new ArrayList<>(Arrays.asList(out));
    }

    private String clean(int[] newTokens) {
        int len = newTokens.length;
        while (len > 0 && config.eosTokenIds().contains(newTokens[len - 1])) {
            len--;
        }
        String text = tokenizer.decode(Arrays.copyOf(newTokens, len), true).strip();
        return firstSentenceOnly ? firstSentence(text) : text;
    }

    /** The text up to and including the first sentence end ('.', '?', '!' or a line break). */
    public static String firstSentence(String text) {
        String t = text.strip();
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '\n') {
                return t.substring(0, i).strip();
            }
            boolean end = c == '.' || c == '?' || c == '!';
            // A period between digits (3.5%) does not end a sentence.
            boolean decimal = c == '.' && i > 0 && i + 1 < t.length() && Character.isDigit(t.charAt(i - 1))
                    && Character.isDigit(t.charAt(i + 1));
            if (end && !decimal) {
                return t.substring(0, i + 1).strip();
            }
        }
        return t;
    }
}
