package ai.peft4j.api.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hooks of the active adapters for one forward: linear hooks by module path and input hooks
 * in order. Immutable; build it with {@link Builder}.
 *
 * <pre>{@code
 * HookSet hooks = HookSet.builder().linear("model.layers.0.self_attn.q_proj", loraHook).build();
 * }</pre>
 */
public final class HookSet {
    /** No hooks: the base model. */
    public static final HookSet EMPTY = builder().build();

    private final Map<String, List<LinearHook>> linear;
    private final List<InputHook> input;

    private HookSet(Map<String, List<LinearHook>> linear, List<InputHook> input) {
        this.linear = linear;
        this.input = input;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The hooks on a module path, in registration order; empty when none. */
    public List<LinearHook> linearHooks(String module) {
        return linear.getOrDefault(module, List.of());
    }

    public List<InputHook> inputHooks() {
        return input;
    }

    /** The total number of positions the input hooks prepend. */
    public int prefixLength() {
        int n = 0;
        for (InputHook h : input) {
            n += h.prefixLength();
        }
        return n;
    }

    public boolean isEmpty() {
        return linear.isEmpty() && input.isEmpty();
    }

    /** Collects hooks. */
    public static final class Builder {
        private final Map<String, List<LinearHook>> linear = new LinkedHashMap<>();
        private final List<InputHook> input = new ArrayList<>();

        public Builder linear(String module, LinearHook hook) {
            linear.computeIfAbsent(module, k -> new ArrayList<>()).add(hook);
            return this;
        }

        public Builder input(InputHook hook) {
            input.add(hook);
            return this;
        }

        public HookSet build() {
            Map<String, List<LinearHook>> copy = new LinkedHashMap<>();
            linear.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            return new HookSet(Collections.unmodifiableMap(copy), List.copyOf(input));
        }
    }
}
