package ai.peft4j.api.config;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.method.ModuleSelector;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.annotations.SerializedName;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The standard {@link JsonCodec}s, and the one a record component's type picks
 * ({@link #forType}). All are strict where Gson's own adapters are lenient: {@code "8"} is not an
 * integer, {@code 4.5} is not an integer, {@code 1} is not a boolean.
 *
 * <pre>{@code
 * JsonCodec<List<Integer>> layers = JsonCodecs.listOf(JsonCodecs.INT);
 * List<Integer> l = layers.read(JsonParser.parseString("[0, 1]"), "layers_to_transform");
 * }</pre>
 */
public final class JsonCodecs {
    private JsonCodecs() {}

    /** A JSON number with an integral value that fits an {@code int} ({@code 4.0} is 4). */
    public static final JsonCodec<Integer> INT = new Leaf<>("an integer", "integers",
            e -> e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() && isInt(e.getAsDouble()),
            e -> (int) e.getAsDouble(), JsonPrimitive::new);
    /** A JSON number. */
    public static final JsonCodec<Double> DOUBLE = new Leaf<>("a number", "numbers",
            e -> e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber(), JsonElement::getAsDouble, JsonPrimitive::new);
    /** {@code true} or {@code false}. */
    public static final JsonCodec<Boolean> BOOLEAN = new Leaf<>("true or false", "booleans",
            e -> e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean(), JsonElement::getAsBoolean, JsonPrimitive::new);
    /** A JSON string. */
    public static final JsonCodec<String> STRING = new Leaf<>("a string", "strings",
            e -> e.isJsonPrimitive() && e.getAsJsonPrimitive().isString(), JsonElement::getAsString, JsonPrimitive::new);
    /** A JSON object, copied. */
    public static final JsonCodec<JsonObject> OBJECT = new Leaf<>("an object", "objects",
            JsonElement::isJsonObject, e -> e.getAsJsonObject().deepCopy(), JsonObject::deepCopy);
    /** Any JSON, copied. */
    public static final JsonCodec<JsonElement> JSON = new Leaf<>("JSON", "JSON values", e -> true,
            JsonElement::deepCopy, JsonElement::deepCopy);
    /** Any JSON, as an immutable {@link JsonValue}: for keys peft4j keeps verbatim without using them. */
    public static final JsonCodec<JsonValue> VALUE = new Leaf<>("JSON", "JSON values", e -> true, JsonValue::of, JsonValue::json);
    /** {@code target_modules} and the like: a regex string or a list of module names. */
    public static final JsonCodec<ModuleSelector> SELECTOR = new JsonCodec<>() {
        @Override
        public ModuleSelector read(JsonElement json, String key) {
            return ModuleSelector.fromJson(json, key);
        }

        @Override
        public JsonElement write(ModuleSelector value) {
            return value.toJson();
        }
    };

    private static boolean isInt(double d) {
        return d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE;
    }

    /** A JSON array of {@code element} values, read as an immutable list. */
    public static <T> JsonCodec<List<T>> listOf(JsonCodec<T> element) {
        String expected = "a list of " + element.plural();
        return new JsonCodec<>() {
            @Override
            public List<T> read(JsonElement json, String key) {
                if (!json.isJsonArray() || element instanceof Leaf<?> l && !l.acceptsAll(json)) {
                    throw JsonCodec.mismatch(key, expected, json); // names the whole list, not the element
                }
                List<T> out = new ArrayList<>();
                for (JsonElement x : json.getAsJsonArray()) {
                    if (x.isJsonNull()) {
                        throw JsonCodec.mismatch(key, expected, json);
                    }
                    out.add(element.read(x, key));
                }
                return Collections.unmodifiableList(out);
            }

            @Override
            public JsonElement write(List<T> value) {
                JsonArray a = new JsonArray();
                value.forEach(v -> a.add(element.write(v)));
                return a;
            }
        };
    }

    /** A bare value or a list of them, written back as it was read (see {@link OneOrList}). */
    public static <T> JsonCodec<OneOrList<T>> oneOrList(JsonCodec<T> element) {
        JsonCodec<List<T>> list = listOf(element);
        String expected = (element instanceof Leaf<?> l ? l.expected : "a value") + " or a list of " + element.plural();
        return new JsonCodec<>() {
            @Override
            public OneOrList<T> read(JsonElement json, String key) {
                if (element instanceof Leaf<?> l && !(json.isJsonArray() ? l.acceptsAll(json) : l.accepts.test(json))) {
                    throw JsonCodec.mismatch(key, expected, json);
                }
                return json.isJsonArray() ? OneOrList.of(list.read(json, key)) : OneOrList.single(element.read(json, key));
            }

            @Override
            public JsonElement write(OneOrList<T> value) {
                return value.isSingle() && value.size() == 1 ? element.write(value.get(0)) : list.write(value);
            }
        };
    }

    /** A JSON object of {@code value}s, read in file order; an entry's error names {@code key['entry']}. */
    public static <T> JsonCodec<Map<String, T>> mapOf(JsonCodec<T> value) {
        String expected = "an object of " + value.plural();
        return new JsonCodec<>() {
            @Override
            public Map<String, T> read(JsonElement json, String key) {
                if (!json.isJsonObject()) {
                    throw JsonCodec.mismatch(key, expected, json);
                }
                Map<String, T> out = new LinkedHashMap<>();
                for (Map.Entry<String, JsonElement> e : json.getAsJsonObject().entrySet()) {
                    out.put(e.getKey(), value.read(e.getValue(), key + "['" + e.getKey() + "']"));
                }
                return Collections.unmodifiableMap(out);
            }

            @Override
            public JsonElement write(Map<String, T> map) {
                JsonObject o = new JsonObject();
                map.forEach((k, v) -> o.add(k, value.write(v)));
                return o;
            }
        };
    }

    /**
     * An enum by name, case-insensitively; Gson's {@link SerializedName} on a constant gives the
     * name written and {@code alternate} older names still read.
     */
    public static <E extends Enum<E>> JsonCodec<E> enumOf(Class<E> type) {
        Map<String, E> byName = new LinkedHashMap<>();
        Map<E, String> written = new LinkedHashMap<>();
        for (E c : type.getEnumConstants()) {
            SerializedName sn;
            try {
                sn = type.getField(c.name()).getAnnotation(SerializedName.class);
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException(e);
            }
            written.put(c, sn == null ? c.name() : sn.value());
            byName.put(written.get(c).toUpperCase(Locale.ROOT), c);
            for (String alt : sn == null ? new String[0] : sn.alternate()) {
                byName.put(alt.toUpperCase(Locale.ROOT), c);
            }
        }
        List<String> names = List.copyOf(written.values());
        String choices = names.size() == 1 ? names.get(0)
                : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
        return new JsonCodec<>() {
            @Override
            public E read(JsonElement json, String key) {
                String s = STRING.read(json, key);
                E e = byName.get(s.trim().toUpperCase(Locale.ROOT));
                if (e == null) {
                    throw new Peft4jException(key + " '" + s + "' is not " + choices);
                }
                return e;
            }

            @Override
            public JsonElement write(E value) {
                return new JsonPrimitive(written.get(value));
            }
        };
    }

    /**
     * The codec a component's type picks: {@code int}, {@code double}, {@code boolean} (boxed or
     * not), {@code String}, {@code JsonObject}, {@code JsonElement}, {@link ModuleSelector}, enums,
     * and {@code List}, {@link OneOrList} and {@code Map<String, V>} of those.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static JsonCodec<?> forType(Type type) {
        if (type instanceof ParameterizedType p) {
            Type raw = p.getRawType();
            Type[] args = p.getActualTypeArguments();
            if (raw == List.class) {
                return listOf(forType(args[0]));
            }
            if (raw == OneOrList.class) {
                return oneOrList(forType(args[0]));
            }
            if (raw == Map.class && args[0] == String.class) {
                return mapOf(forType(args[1]));
            }
        } else if (type instanceof Class<?> c) {
            if (c == int.class || c == Integer.class) {
                return INT;
            }
            if (c == double.class || c == Double.class) {
                return DOUBLE;
            }
            if (c == boolean.class || c == Boolean.class) {
                return BOOLEAN;
            }
            if (c == String.class) {
                return STRING;
            }
            if (c == JsonObject.class) {
                return OBJECT;
            }
            if (c == JsonElement.class) {
                return JSON;
            }
            if (c == JsonValue.class) {
                return VALUE;
            }
            if (c == ModuleSelector.class) {
                return SELECTOR;
            }
            if (c.isEnum()) {
                return enumOf((Class) c);
            }
        }
        throw new IllegalArgumentException("no JSON codec for " + type.getTypeName() + "; name one with @Key(codec = ...)");
    }

    /**
     * A number written as Python writes the value PEFT declares an {@code int} but accepts a float
     * for ({@code lora_alpha}): an integral value as a JSON integer ({@code 16}), any other as a
     * float ({@code 0.5}).
     *
     * <pre>
     * &#64;Key(value = "lora_alpha", def = "8", codec = JsonCodecs.PythonNumber.class) double loraAlpha
     * </pre>
     */
    public static final class PythonNumber implements JsonCodec<Double> {
        @Override
        public Double read(JsonElement json, String key) {
            return DOUBLE.read(json, key);
        }

        @Override
        public JsonElement write(Double v) {
            if (v == Math.rint(v) && Math.abs(v) < 1e15) {
                return new JsonPrimitive(v.longValue());
            }
            return new JsonPrimitive(v);
        }

        @Override
        public String plural() {
            return "numbers";
        }
    }

    /**
     * A map of {@link PythonNumber}s.
     *
     * <pre>
     * &#64;Key(value = "alpha_pattern", def = "{}", codec = JsonCodecs.PythonNumberMap.class) Map&lt;String, Double&gt; alphaPattern
     * </pre>
     */
    public static final class PythonNumberMap implements JsonCodec<Map<String, Double>> {
        private final JsonCodec<Map<String, Double>> map = mapOf(new PythonNumber());

        @Override
        public Map<String, Double> read(JsonElement json, String key) {
            return map.read(json, key);
        }

        @Override
        public JsonElement write(Map<String, Double> value) {
            return map.write(value);
        }
    }

    /** A codec of one JSON type, with its description for messages. */
    private static final class Leaf<T> implements JsonCodec<T> {
        private final String expected;
        private final String plural;
        private final Predicate<JsonElement> accepts;
        private final Function<JsonElement, T> reader;
        private final Function<T, JsonElement> writer;

        Leaf(String expected, String plural, Predicate<JsonElement> accepts, Function<JsonElement, T> reader,
                Function<T, JsonElement> writer) {
            this.expected = expected;
            this.plural = plural;
            this.accepts = accepts;
            this.reader = reader;
            this.writer = writer;
        }

        @Override
        public T read(JsonElement json, String key) {
            if (!accepts.test(json)) {
                throw JsonCodec.mismatch(key, expected, json);
            }
            return reader.apply(json);
        }

        @Override
        public JsonElement write(T value) {
            return writer.apply(value);
        }

        @Override
        public String plural() {
            return plural;
        }

        /** Whether every element of an array is a non-null value of this type. */
        boolean acceptsAll(JsonElement array) {
            for (JsonElement x : array.getAsJsonArray()) {
                if (x.isJsonNull() || !accepts.test(x)) {
                    return false;
                }
            }
            return true;
        }
    }
}
