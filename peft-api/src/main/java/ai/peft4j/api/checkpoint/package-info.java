/** Opening Hugging Face model directories: config, (sharded) safetensors, shape validation. */
package ai.peft4j.api.checkpoint;
