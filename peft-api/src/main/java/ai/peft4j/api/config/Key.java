package ai.peft4j.api.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a record component as one JSON key of a config: its name, its default and, where the
 * component's type does not say it, how its value is read and written. This annotation is the whole
 * declaration: {@link PeftSchema} reads, writes, compares and builds the component from it.
 *
 * <pre>
 * public record MyConfig(
 *         PeftCommon common,
 *         &#64;Key(value = "r", def = "8") int r,
 *         &#64;Key(value = "lora_alpha", def = "8", codec = JsonCodecs.PythonNumber.class) double loraAlpha,
 *         &#64;Key("target_modules") ModuleSelector targetModules) implements PeftAdapterConfig { ... }
 * </pre>
 *
 * <p>A JSON {@code null} counts as absent: the key takes its default, as PEFT's dataclass does.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Key {
    /** The JSON key, as Hugging Face PEFT spells it ({@code lora_alpha}). */
    String value();

    /** The default as JSON text ({@code "8"}, {@code "\"none\""}, {@code "{}"}); {@code "null"} when unset. */
    String def() default "null";

    /**
     * When set, the JSON always written for this key whatever the value, as PEFT's
     * {@code save_pretrained} writes {@code inference_mode} as {@code true}. The value is still
     * read and kept, but, as the file does not keep it, it is left out of equality
     * ({@link PeftSchema#keysEqual}).
     */
    String written() default "";

    /**
     * The codec when the component's type does not pick the right one (see {@link JsonCodecs#forType}):
     * a class with a no-argument constructor. {@code JsonCodec.class} means "by type".
     */
    @SuppressWarnings("rawtypes")
    Class<? extends JsonCodec> codec() default JsonCodec.class;

    /**
     * A key PEFT knows but peft4j does not implement: accepted only when it is off ({@code null},
     * {@code false}, {@code []} or <code>{}</code>), refused otherwise naming the key and the feature,
     * and written as {@link #written()}. Put on the config record (or a record it embeds).
     *
     * <pre>
     * &#64;Key.Unsupported(key = "use_dora", feature = "DoRA", written = "false")
     * public record LoraConfig(...) implements PeftAdapterConfig { ... }
     * </pre>
     */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @Repeatable(Unsupported.List.class)
    @interface Unsupported {
        /** The JSON key. */
        String key();

        /** What a value other than off asks for, for the error message ({@code "DoRA"}). */
        String feature();

        /** The JSON written for the key (PEFT's default). */
        String written() default "null";

        /** The container of repeated {@link Unsupported} annotations, which Java fills in when one is repeated. */
        @Documented
        @Retention(RetentionPolicy.RUNTIME)
        @Target(ElementType.TYPE)
        @interface List {
            /** The annotations. */
            Unsupported[] value();
        }
    }

    /**
     * Marks the {@code List<String>} component that receives the keys a read ignored because the
     * config does not know them; it is not a JSON key and is never written.
     *
     * <pre>{@code
     * public record PeftCommon(..., @Key.Ignored List<String> ignoredKeys) { ... }
     * }</pre>
     */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    @interface Ignored {}
}
