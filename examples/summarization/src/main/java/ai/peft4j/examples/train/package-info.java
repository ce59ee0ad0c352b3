/** Fine-tuning runs shared by the {@code train} command and the demo. */
package ai.peft4j.examples.train;
