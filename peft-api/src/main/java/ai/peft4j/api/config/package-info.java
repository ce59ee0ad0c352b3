/**
 * Data binding for {@code adapter_config.json} and other JSON configs, shared by every PEFT method:
 * a config is a record whose components carry their JSON key and default ({@link ai.peft4j.api.config.Key}),
 * so declaring a key is one edit; {@link ai.peft4j.api.config.PeftSchema} reads, writes, compares and
 * builds such records, with one policy for PEFT's common keys ({@link ai.peft4j.api.config.PeftCommon}),
 * unknown keys and keys peft4j does not implement.
 *
 * <ul>
 *   <li>{@link ai.peft4j.api.config.JsonCodec}, {@link ai.peft4j.api.config.JsonCodecs}: strict value
 *       conversion whose errors name the key;</li>
 *   <li>{@link ai.peft4j.api.config.ConfigJson}: the same typed reads by key for hand-written readers
 *       (Hugging Face {@code config.json});</li>
 *   <li>{@link ai.peft4j.api.config.PeftConfigBuilder}: the one builder, with setters named after the
 *       record components.</li>
 * </ul>
 */
package ai.peft4j.api.config;
