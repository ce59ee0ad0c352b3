package ai.peft4j.examples.pretrain;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.io.AtomicFiles;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a GPT-2-style byte-level BPE tokenizer and writes it as a Hugging Face
 * {@code tokenizer.json} (plus {@code tokenizer_config.json} and {@code special_tokens_map.json}),
 * so that DJL, {@code tokenizers} and {@code transformers} all load it.
 *
 * <p>Ids 0..255 are the byte symbols in GPT-2's order, then one id per merge, then
 * {@code <|endoftext|>} last. Merges are chosen by frequency with ties broken by the pair's
 * symbol ids, so the result is deterministic for a given corpus.
 *
 * <pre>{@code
 * ByteLevelBpeTrainer trainer = new ByteLevelBpeTrainer(4096);
 * lines.forEach(trainer::add);
 * trainer.train();
 * trainer.save(Path.of("model-dir"), 512);
 * }</pre>
 */
public final class ByteLevelBpeTrainer {
    /** GPT-2's pre-tokenizer pattern, as the ByteLevel pre-tokenizer applies it. */
    static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
    public static final String EOS = "<|endoftext|>";

    private final int vocabSize;
    private final Map<String, Integer> wordCounts = new HashMap<>();
    private final List<String> symbols = new ArrayList<>();
    private final List<String> merges = new ArrayList<>();
    private final char[] byteToChar = bytesToUnicode();

    /** @param vocabSize the total vocabulary, special token included (at least 257) */
    public ByteLevelBpeTrainer(int vocabSize) {
        if (vocabSize < 258) {
            throw new Peft4jException("vocab size must be at least 258 (256 bytes, one merge, EOS), got " + vocabSize);
        }
        this.vocabSize = vocabSize;
    }

    /** GPT-2's reversible byte → printable character map. */
    static char[] bytesToUnicode() {
        char[] map = new char[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            direct[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            direct[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            direct[b] = true;
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (direct[b]) {
                map[b] = (char) b;
            } else {
                map[b] = (char) (256 + n++);
            }
        }
        return map;
    }

    /** The byte symbols in GPT-2's id order: printable bytes first, then the rest. */
    private List<String> byteSymbols() {
        List<String> direct = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            String s = String.valueOf(byteToChar[b]);
            if (byteToChar[b] == (char) b) {
                direct.add(s);
            } else {
                rest.add(s);
            }
        }
        direct.addAll(rest);
        return direct;
    }

    /** Adds one line of training text. */
    public void add(String text) {
        Matcher m = GPT2_SPLIT.matcher(text);
        while (m.find()) {
            byte[] bytes = m.group().getBytes(StandardCharsets.UTF_8);
            StringBuilder sb = new StringBuilder(bytes.length);
            for (byte b : bytes) {
                sb.append(byteToChar[b & 0xFF]);
            }
            wordCounts.merge(sb.toString(), 1, Integer::sum);
        }
    }

    private static long pairKey(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** Learns {@code vocabSize - 257} merges (fewer if the corpus runs out of pairs). */
    public void train() {
        symbols.clear();
        merges.clear();
        symbols.addAll(byteSymbols());
        Map<String, Integer> idOf = new HashMap<>();
        for (int i = 0; i < symbols.size(); i++) {
            idOf.put(symbols.get(i), i);
        }
        List<int[]> words = new ArrayList<>();
        List<Integer> freqs = new ArrayList<>();
        wordCounts.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String w = e.getKey();
            int[] ids = new int[w.length()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = idOf.get(String.valueOf(w.charAt(i)));
            }
            words.add(ids);
            freqs.add(e.getValue());
        });
        Map<Long, Long> counts = new HashMap<>();
        Map<Long, Set<Integer>> where = new HashMap<>();
        for (int w = 0; w < words.size(); w++) {
            int[] ids = words.get(w);
            for (int i = 0; i + 1 < ids.length; i++) {
                long k = pairKey(ids[i], ids[i + 1]);
                counts.merge(k, (long) freqs.get(w), Long::sum);
                where.computeIfAbsent(k, x -> new HashSet<>()).add(w);
            }
        }
        // Max-heap on (count desc, pair asc) with lazy invalidation.
        PriorityQueue<long[]> heap = new PriorityQueue<>((x, y) -> x[0] != y[0] ? Long.compare(y[0], x[0]) : Long.compare(x[1], y[1]));
        counts.forEach((k, c) -> heap.add(new long[] {c, k}));
        int target = vocabSize - 1;
        while (symbols.size() < target && !heap.isEmpty()) {
            long[] top = heap.poll();
            long key = top[1];
            Long current = counts.get(key);
            if (current == null || current != top[0]) {
                continue;
            }
            if (current <= 0) {
                break;
            }
            int a = (int) (key >> 32);
            int b = (int) key;
            int merged = symbols.size();
            symbols.add(symbols.get(a) + symbols.get(b));
            merges.add(symbols.get(a) + " " + symbols.get(b));
            Set<Long> touched = new HashSet<>();
            for (int w : new ArrayList<>(where.getOrDefault(key, Set.of()))) {
                int[] ids = words.get(w);
                long f = freqs.get(w);
                for (int i = 0; i + 1 < ids.length; i++) {
                    long k = pairKey(ids[i], ids[i + 1]);
                    counts.merge(k, -f, Long::sum);
                    touched.add(k);
                }
                int[] out = new int[ids.length];
                int n = 0;
                for (int i = 0; i < ids.length; i++) {
                    if (i + 1 < ids.length && ids[i] == a && ids[i + 1] == b) {
                        out[n++] = merged;
                        i++;
                    } else {
                        out[n++] = ids[i];
                    }
                }
                int[] next = java.util.Arrays.copyOf(out, n);
                words.set(w, next);
                for (int i = 0; i + 1 < next.length; i++) {
                    long k = pairKey(next[i], next[i + 1]);
                    counts.merge(k, f, Long::sum);
                    where.computeIfAbsent(k, x -> new HashSet<>()).add(w);
                    touched.add(k);
                }
            }
            counts.remove(key);
            where.remove(key);
            for (long k : touched) {
                Long c = counts.get(k);
                if (c != null && c > 0) {
                    heap.add(new long[] {c, k});
                }
            }
        }
    }

    /** The learned vocabulary size, EOS included. */
    public int size() {
        return symbols.size() + 1;
    }

    /** The id of {@code <|endoftext|>}. */
    public int eosId() {
        return symbols.size();
    }

    /** Writes {@code tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json}. */
    public void save(Path dir, int modelMaxLength) {
        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", JsonNull.INSTANCE);
        root.add("padding", JsonNull.INSTANCE);
        JsonArray added = new JsonArray();
        JsonObject eos = new JsonObject();
        eos.addProperty("id", eosId());
        eos.addProperty("content", EOS);
        eos.addProperty("single_word", false);
        eos.addProperty("lstrip", false);
        eos.addProperty("rstrip", false);
        eos.addProperty("normalized", false);
        eos.addProperty("special", true);
        added.add(eos);
        root.add("added_tokens", added);
        root.add("normalizer", JsonNull.INSTANCE);
        root.add("pre_tokenizer", byteLevel(false, true));
        root.add("post_processor", byteLevel(true, false));
        root.add("decoder", byteLevel(true, true));
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", JsonNull.INSTANCE);
        model.add("unk_token", JsonNull.INSTANCE);
        model.addProperty("continuing_subword_prefix", "");
        model.addProperty("end_of_word_suffix", "");
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.addProperty("ignore_merges", false);
        JsonObject vocab = new JsonObject();
        for (int i = 0; i < symbols.size(); i++) {
            vocab.addProperty(symbols.get(i), i);
        }
        vocab.addProperty(EOS, eosId());
        model.add("vocab", vocab);
        JsonArray m = new JsonArray();
        merges.forEach(m::add);
        model.add("merges", m);
        root.add("model", model);
        var gson = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
        AtomicFiles.writeString(dir.resolve("tokenizer.json"), gson.toJson(root));

        Map<String, Object> special = new LinkedHashMap<>();
        special.put("bos_token", EOS);
        special.put("eos_token", EOS);
        special.put("unk_token", EOS);
        var pretty = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
        AtomicFiles.writeString(dir.resolve("special_tokens_map.json"), pretty.toJson(special) + "\n");
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("add_prefix_space", false);
        cfg.put("bos_token", EOS);
        cfg.put("eos_token", EOS);
        cfg.put("unk_token", EOS);
        cfg.put("clean_up_tokenization_spaces", false);
        cfg.put("model_max_length", modelMaxLength);
        cfg.put("tokenizer_class", "GPT2Tokenizer");
        AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), pretty.toJson(cfg) + "\n");
    }

    private static JsonObject byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        JsonObject o = new JsonObject();
        o.addProperty("type", "ByteLevel");
        o.addProperty("add_prefix_space", addPrefixSpace);
        o.addProperty("trim_offsets", trimOffsets);
        o.addProperty("use_regex", true);
        return o;
    }
}
