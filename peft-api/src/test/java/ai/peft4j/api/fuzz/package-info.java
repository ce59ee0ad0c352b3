/**
 * Coverage-guided fuzz tests (Jazzer): every input to a reader either loads or fails with
 * {@link ai.peft4j.api.Peft4jException}; seed and regression inputs live beside them in resources.
 */
package ai.peft4j.api.fuzz;
