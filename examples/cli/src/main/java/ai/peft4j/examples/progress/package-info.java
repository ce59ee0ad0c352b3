/** Console progress reporting for long runs (training, evaluation), built on the progressbar library. */
package ai.peft4j.examples.progress;
