package ai.peft4j.api.method;

import ai.peft4j.api.Peft4jException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Matches the regular expressions of an {@code adapter_config.json} ({@code target_modules},
 * {@code exclude_modules}, {@code layers_pattern}, {@code rank_pattern} and {@code alpha_pattern}
 * keys) against module paths with a bounded number of steps. PEFT makes them user-written regexes,
 * and a downloaded file may hold one that backtracks exponentially: {@code ((.*)*)*x} does not
 * finish on a 30-character module path. Here it fails with a clear error instead of hanging.
 *
 * <pre>{@code
 * boolean hit = BoundedRegex.matcher(pattern, "model.layers.0.self_attn.q_proj").matches();
 * }</pre>
 */
public final class BoundedRegex {
    /** Characters a match may read; a sane pattern needs a few hundred on a module path. */
    static final int MAX_STEPS = 1_000_000;

    private BoundedRegex() {}

    /** A matcher over {@code input} that throws a {@link Peft4jException} once it exceeds {@link #MAX_STEPS}. */
    public static Matcher matcher(Pattern pattern, String input) {
        return pattern.matcher(new Budgeted(input, pattern));
    }

    /** The input as the regex engine reads it, one counted character at a time. */
    private static final class Budgeted implements CharSequence {
        private final String text;
        private final Pattern pattern;
        private int steps;

        Budgeted(String text, Pattern pattern) {
            this.text = text;
            this.pattern = pattern;
        }

        @Override
        public char charAt(int index) {
            if (++steps > MAX_STEPS) {
                throw new Peft4jException("the adapter config's regular expression '" + pattern.pattern()
                        + "' takes more than " + MAX_STEPS + " steps to match the module path '" + text
                        + "' (catastrophic backtracking); simplify it");
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.substring(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
