/**
 * The tensor-op interface that architectures and PEFT methods are written against, once for
 * every engine. See {@link ai.peft4j.api.ops.Ops}.
 */
package ai.peft4j.api.ops;
