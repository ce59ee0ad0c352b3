package ai.peft4j.api.config;

import ai.peft4j.api.Peft4jException;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a config record to PEFT's {@code adapter_config.json}, from the {@link Key}s on its
 * components: reading, writing and building are derived here once (accessors, equality and
 * {@code toString} are the record's own), so a method's config declares each key exactly once.
 * Records it embeds ({@link PeftCommon}, a method family's shared keys) are flattened into the same
 * JSON object. Each config record holds its schema in a static field, where
 * {@link PeftAdapterConfig}'s {@code peftType()} and {@code toJson()} find it.
 *
 * <p>The policy, the same for every method, as PEFT's {@code from_pretrained}:
 * <ul>
 *   <li>{@code peft_type} must be this schema's (case-insensitively, as {@link
 *       ai.peft4j.api.method.PeftMethods#forType} dispatches); it is always written;</li>
 *   <li>a missing or JSON-null key takes its default; a value of the wrong JSON type fails naming the
 *       source and the key;</li>
 *   <li>unknown keys (say, from a newer PEFT) are ignored with one warning and listed in
 *       {@link PeftCommon#ignoredKeys()}; they are not written back;</li>
 *   <li>{@link Key.Unsupported} keys are accepted only when off and written with PEFT's default;</li>
 *   <li>a validation error of the record's constructor is prefixed with the source;</li>
 *   <li>the JSON written has every key, sorted, as PEFT's {@code save_pretrained} writes it.</li>
 * </ul>
 *
 * <pre>{@code
 * public record MyConfig(PeftCommon common, @Key(value = "r", def = "8") int r) implements PeftAdapterConfig {
 *     static final PeftSchema<MyConfig> SCHEMA = new PeftSchema<>(MyConfig.class, "MINE", "MyConfig", "");
 * }
 * MyConfig cfg = MyConfig.SCHEMA.read(json, "adapter_config.json");
 * }</pre>
 *
 * <p>Why not Gson's reflective record adapter: it fills absent keys with Java's zero values rather
 * than PEFT's defaults, sets JSON null, drops unknown keys silently and coerces {@code "8"} to 8.
 *
 * @param <R> the config record
 */
public final class PeftSchema<R extends Record & PeftAdapterConfig> {
    private static final Logger LOG = LoggerFactory.getLogger(PeftSchema.class);
    /**
     * A config record's schema, its static {@code PeftSchema} field, for {@link PeftAdapterConfig}'s
     * {@code peftType()} and {@code toJson()} (a {@link ClassValue}, so a plugin's classes can unload).
     */
    private static final ClassValue<PeftSchema<?>> OF_TYPE = new ClassValue<>() {
        @Override
        protected PeftSchema<?> computeValue(Class<?> type) {
            for (Field f : type.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == PeftSchema.class) {
                    try {
                        f.setAccessible(true);
                        return (PeftSchema<?>) f.get(null);
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException("cannot read " + f, e);
                    }
                }
            }
            throw new IllegalStateException(type.getName() + " declares no PeftSchema (a static final field of the record)");
        }
    };

    private final Class<R> type;
    private final String peftType;
    private final String peftClass;
    private final String unsupportedHint;
    private final Node root;
    private final Map<String, Leaf> leaves = new LinkedHashMap<>();
    private final Map<String, Key.Unsupported> unsupported = new TreeMap<>();

    /**
     * The schema of {@code type}.
     *
     * @param peftType PEFT's {@code peft_type} ({@code LORA})
     * @param peftClass PEFT's config class, for messages ({@code LoraConfig})
     * @param unsupportedHint what is supported, appended in parentheses to an unsupported key's error
     *     (empty for none)
     */
    public PeftSchema(Class<R> type, String peftType, String peftClass, String unsupportedHint) {
        this.type = type;
        this.peftType = peftType;
        this.peftClass = peftClass;
        this.unsupportedHint = unsupportedHint.isEmpty() ? "" : " (" + unsupportedHint + ")";
        this.root = node(type);
    }

    /** The schema a config record class holds in its static field. */
    static PeftSchema<?> of(Class<?> type) {
        return OF_TYPE.get(type);
    }

    /** PEFT's {@code peft_type} for this config. */
    public String peftType() {
        return peftType;
    }

    // ---- reading ------------------------------------------------------------------------------

    /** Reads PEFT's {@code adapter_config.json} object; errors start with {@code source}. */
    public R read(JsonObject json, String source) {
        ConfigJson j = new ConfigJson(json, source);
        String declared = j.string("peft_type", peftType);
        if (!peftType.equalsIgnoreCase(declared)) {
            throw j.error("peft_type is '" + declared + "', not " + peftType);
        }
        List<String> ignored = new ArrayList<>();
        for (String k : json.keySet()) {
            if (!k.equals("peft_type") && !leaves.containsKey(k) && !unsupported.containsKey(k)) {
                ignored.add(k);
            }
        }
        Collections.sort(ignored);
        for (Key.Unsupported u : unsupported.values()) {
            JsonElement v = j.raw(u.key());
            if (v != null && !isOff(v)) {
                throw j.error(u.key() + " = " + v + " asks for " + u.feature() + ", which peft4j does not implement"
                        + unsupportedHint);
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Leaf l : leaves.values()) {
            values.put(l.name, j.get(l.name, l.codec, l.def));
        }
        R config;
        try {
            config = construct(values, ignored);
        } catch (Peft4jException e) {
            throw new Peft4jException(source + ": " + e.getMessage(), e);
        }
        if (!ignored.isEmpty()) {
            LOG.warn("{}: ignoring keys that PEFT's {} does not have (written by a newer PEFT?): {}", source, peftClass, ignored);
        }
        if (!PeftCommon.CAUSAL_LM.equals(config.taskType())) {
            LOG.warn("{}: task_type {} is kept as written, but peft4j runs every model as CAUSAL_LM", source, config.taskType());
        }
        return config;
    }

    /** Off: null, false, an empty list or an empty object. */
    private static boolean isOff(JsonElement v) {
        if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isBoolean()) {
            return !v.getAsBoolean();
        }
        if (v.isJsonArray()) {
            return v.getAsJsonArray().isEmpty();
        }
        return v.isJsonNull() || v.isJsonObject() && v.getAsJsonObject().size() == 0;
    }

    // ---- writing ------------------------------------------------------------------------------

    /** The complete {@code adapter_config.json} object PEFT writes for {@code config}: every key, sorted. */
    public JsonObject toJson(R config) {
        return write(config);
    }

    /** {@link #toJson} for a config known only to be of this schema's class. */
    JsonObject write(PeftAdapterConfig config) {
        TreeMap<String, JsonElement> m = new TreeMap<>();
        m.put("peft_type", new JsonPrimitive(peftType));
        for (Key.Unsupported u : unsupported.values()) {
            m.put(u.key(), JsonParser.parseString(u.written()));
        }
        write(root, type.cast(config), m);
        JsonObject o = new JsonObject();
        m.forEach(o::add);
        return o;
    }

    /**
     * Record equality over what the file keeps: it leaves out keys with a fixed {@link Key#written()}
     * value and the {@link Key.Ignored} list, for a record holding them ({@link PeftCommon}) to use
     * in {@code equals}.
     */
    public static boolean keysEqual(Record a, Object b) {
        if (b == null || b.getClass() != a.getClass()) {
            return false;
        }
        for (RecordComponent c : a.getClass().getRecordComponents()) {
            if (compared(c) && !Objects.equals(get(c, a), get(c, b))) {
                return false;
            }
        }
        return true;
    }

    /** The hash that goes with {@link #keysEqual}. */
    public static int keysHash(Record a) {
        int h = 1;
        for (RecordComponent c : a.getClass().getRecordComponents()) {
            h = 31 * h + (compared(c) ? Objects.hashCode(get(c, a)) : 0);
        }
        return h;
    }

    private static boolean compared(RecordComponent c) {
        Key k = c.getAnnotation(Key.class);
        return !c.isAnnotationPresent(Key.Ignored.class) && (k == null || k.written().isEmpty());
    }

    // ---- building -----------------------------------------------------------------------------

    /** Every key's default, by JSON key, in declaration order. */
    Map<String, Object> defaults() {
        Map<String, Object> m = new LinkedHashMap<>();
        leaves.values().forEach(l -> m.put(l.name, l.def));
        return m;
    }

    /** The values of {@code part}, a record embedded in this config (such as {@link PeftCommon}), by JSON key. */
    Map<String, Object> values(Record part) {
        Node n = find(root, part.getClass());
        if (n == null) {
            throw new IllegalArgumentException(type.getSimpleName() + " does not embed a " + part.getClass().getSimpleName());
        }
        Map<String, Object> m = new LinkedHashMap<>();
        collect(n, part, m);
        return m;
    }

    private static Node find(Node n, Class<?> c) {
        if (n.constructor.getDeclaringClass() == c) {
            return n;
        }
        for (Object s : n.slots) {
            Node hit = s instanceof Node child ? find(child, c) : null;
            if (hit != null) {
                return hit;
            }
        }
        return null;
    }

    /**
     * {@code value} checked and made immutable for {@code key}; null is the default. Numbers convert
     * to the key's number type, a list to a {@link OneOrList}, a {@code JsonElement} to a {@link JsonValue}.
     */
    Object check(String key, Object value) {
        Leaf l = leaves.get(key);
        if (l == null) {
            throw new IllegalArgumentException(type.getSimpleName() + " has no key '" + key + "'; its keys are " + leaves.keySet());
        }
        if (value == null) {
            return l.def;
        }
        Class<?> want = boxed(l.component.getType());
        if (want == Double.class && value instanceof Number n) {
            value = n.doubleValue();
        } else if (want == OneOrList.class && value instanceof List<?> list) {
            value = OneOrList.of(list);
        } else if (want == JsonValue.class && value instanceof JsonElement e) {
            value = JsonValue.of(e);
        }
        if (!want.isInstance(value)) {
            throw new IllegalArgumentException(key + " takes " + want.getSimpleName() + ", not " + value.getClass().getSimpleName());
        }
        if (value instanceof List<?> list && !(value instanceof OneOrList)) {
            return Collections.unmodifiableList(new ArrayList<>(list));
        }
        if (value instanceof Map<?, ?> map) {
            return Collections.unmodifiableMap(new LinkedHashMap<>(map));
        }
        return value;
    }

    /** A new record from values by JSON key; the constructor's exceptions pass through unwrapped. */
    R construct(Map<String, Object> values, List<String> ignored) {
        return type.cast(construct(root, values, ignored));
    }

    // ---- the record tree ----------------------------------------------------------------------

    /** One record class: a key, an embedded record or the ignored-keys list per component. */
    private static final class Node {
        final Constructor<?> constructor;
        final RecordComponent[] components;
        final Object[] slots; // Leaf, Node, or IGNORED

        Node(Constructor<?> constructor, RecordComponent[] components, Object[] slots) {
            this.constructor = constructor;
            this.components = components;
            this.slots = slots;
        }
    }

    private static final Object IGNORED = new Object();

    /** One key. */
    private static final class Leaf {
        final String name;
        final RecordComponent component;
        final JsonCodec<Object> codec;
        final Object def;
        final JsonElement written;

        Leaf(String name, RecordComponent component, JsonCodec<Object> codec, Object def, JsonElement written) {
            this.name = name;
            this.component = component;
            this.codec = codec;
            this.def = def;
            this.written = written;
        }
    }

    private Node node(Class<?> record) {
        if (!record.isRecord()) {
            throw new IllegalStateException(record.getName() + " is not a record");
        }
        for (Key.Unsupported u : record.getAnnotationsByType(Key.Unsupported.class)) {
            if (unsupported.put(u.key(), u) != null) {
                throw new IllegalStateException(record.getName() + ": key '" + u.key() + "' is declared twice");
            }
        }
        RecordComponent[] rc = record.getRecordComponents();
        Object[] slots = new Object[rc.length];
        Class<?>[] types = new Class<?>[rc.length];
        for (int i = 0; i < rc.length; i++) {
            types[i] = rc[i].getType();
            rc[i].getAccessor().setAccessible(true);
            Key key = rc[i].getAnnotation(Key.class);
            if (key != null) {
                slots[i] = leaf(record, rc[i], key);
            } else if (rc[i].isAnnotationPresent(Key.Ignored.class)) {
                slots[i] = IGNORED;
            } else if (rc[i].getType().isRecord()) {
                slots[i] = node(rc[i].getType());
            } else {
                throw new IllegalStateException(record.getName() + "." + rc[i].getName()
                        + " needs @Key (or is an embedded record or @Key.Ignored)");
            }
        }
        try {
            Constructor<?> c = record.getDeclaredConstructor(types);
            c.setAccessible(true);
            return new Node(c, rc, slots);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(record.getName() + " has no canonical constructor", e);
        }
    }

    @SuppressWarnings("unchecked")
    private Leaf leaf(Class<?> record, RecordComponent rc, Key key) {
        String where = record.getName() + "." + rc.getName() + " (" + key.value() + ")";
        JsonCodec<Object> codec;
        try {
            codec = (JsonCodec<Object>) (key.codec() == JsonCodec.class ? JsonCodecs.forType(rc.getGenericType())
                    : instantiate(key.codec()));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(where + ": " + e.getMessage(), e);
        }
        JsonElement d = JsonParser.parseString(key.def());
        Object def = d.isJsonNull() ? null : codec.read(d, key.value());
        if (def == null && rc.getType().isPrimitive()) {
            throw new IllegalStateException(where + " is primitive and needs a def");
        }
        JsonElement written = key.written().isEmpty() ? null : JsonParser.parseString(key.written());
        Leaf l = new Leaf(key.value(), rc, codec, def, written);
        if (leaves.put(l.name, l) != null || unsupported.containsKey(l.name) || l.name.equals("peft_type")) {
            throw new IllegalStateException(where + ": key is declared twice");
        }
        return l;
    }

    private static Object instantiate(Class<?> c) {
        try {
            Constructor<?> k = c.getDeclaredConstructor();
            k.setAccessible(true);
            return k.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create codec " + c.getName() + ": " + e, e);
        }
    }

    private Object construct(Node n, Map<String, Object> values, List<String> ignored) {
        Object[] args = new Object[n.slots.length];
        for (int i = 0; i < args.length; i++) {
            Object s = n.slots[i];
            if (s instanceof Leaf l) {
                Object v = values.get(l.name);
                args[i] = v instanceof JsonElement e ? e.deepCopy() : v; // defaults are shared; JSON is mutable
            } else if (s instanceof Node child) {
                args[i] = construct(child, values, ignored);
            } else {
                args[i] = List.copyOf(ignored);
            }
        }
        try {
            return n.constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + n.constructor.getDeclaringClass().getName(), e);
        }
    }

    private static Object get(RecordComponent c, Object record) {
        try {
            return c.getAccessor().invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + c, e);
        }
    }

    private void collect(Node n, Object record, Map<String, Object> out) {
        for (int i = 0; i < n.slots.length; i++) {
            if (n.slots[i] instanceof Leaf l) {
                out.put(l.name, get(n.components[i], record));
            } else if (n.slots[i] instanceof Node child) {
                collect(child, get(n.components[i], record), out);
            }
        }
    }

    private void write(Node n, Object record, Map<String, JsonElement> out) {
        for (int i = 0; i < n.slots.length; i++) {
            if (n.slots[i] instanceof Leaf l) {
                Object v = get(n.components[i], record);
                out.put(l.name, l.written != null ? l.written.deepCopy() : v == null ? JsonNull.INSTANCE : l.codec.write(v));
            } else if (n.slots[i] instanceof Node child) {
                write(child, get(n.components[i], record), out);
            }
        }
    }

    private static Class<?> boxed(Class<?> c) {
        if (!c.isPrimitive()) {
            return c;
        }
        return c == int.class ? Integer.class : c == double.class ? Double.class : c == boolean.class ? Boolean.class
                : c == long.class ? Long.class : c;
    }
}
