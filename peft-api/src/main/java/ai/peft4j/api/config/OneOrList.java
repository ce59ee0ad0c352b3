package ai.peft4j.api.config;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An immutable list that remembers whether it was given as one bare value, for PEFT keys that
 * take either ({@code layers_to_transform: 3} or {@code [3, 4]}): {@link JsonCodecs#oneOrList}
 * writes it back the way it was given. As a {@link List} it is the list of its values.
 *
 * <pre>{@code
 * OneOrList<Integer> one = OneOrList.single(3);          // written as 3
 * OneOrList<Integer> many = OneOrList.of(List.of(3, 4)); // written as [3, 4]
 * }</pre>
 *
 * @param <T> the element type
 */
public final class OneOrList<T> extends AbstractList<T> {
    private final List<T> values;
    private final boolean single;

    private OneOrList(List<T> values, boolean single) {
        this.values = values;
        this.single = single;
    }

    /** One bare value. */
    public static <T> OneOrList<T> single(T value) {
        return new OneOrList<>(Collections.singletonList(value), true);
    }

    /** A list (copied; null elements are kept, for validation to name them). */
    public static <T> OneOrList<T> of(List<T> values) {
        if (values instanceof OneOrList<T> o) {
            return o;
        }
        return new OneOrList<>(Collections.unmodifiableList(new ArrayList<>(values)), false);
    }

    /** Whether this was given as one bare value (and is written back as one). */
    public boolean isSingle() {
        return single;
    }

    @Override
    public T get(int index) {
        return values.get(index);
    }

    @Override
    public int size() {
        return values.size();
    }
}
