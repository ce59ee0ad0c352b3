/**
 * The conformance kit published in peft-api's test-jar: abstract batteries that every engine,
 * method plugin and trainer path extends, checked against golden outputs of Hugging Face
 * transformers and PEFT.
 */
package ai.peft4j.testkit;
