/**
 * The {@code peft4j} command line: {@link ai.peft4j.examples.cli.Peft4jCli} and one class per
 * subcommand. To add a subcommand, write a picocli {@code @Command} class here and list it in
 * {@code Peft4jCli}'s {@code subcommands}; errors thrown as {@link ai.peft4j.api.Peft4jException}
 * become a one-line {@code error: ...} and exit code 2.
 */
package ai.peft4j.examples.cli;
