package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A word that is not a command is a usage error naming it, with or without {@code --help}, at any level. */
class UnknownCommandTest {
    @Test
    void anUnknownCommandWithHelpIsAnErrorNotTheMainHelp() {
        CliRunner.Result r = CliRunner.run("paint", "--help");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip()).startsWith("diffusion4j: error: unknown command 'paint' (commands: train, distill, sample, inpaint,")
                .endsWith("(see 'diffusion4j --help')")
                .doesNotContain("\n");
    }

    @Test
    void anUnknownCommandAloneSaysTheSame() {
        CliRunner.Result r = CliRunner.run("paint");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("diffusion4j: error: unknown command 'paint' (commands: train, distill, sample,");
    }

    @Test
    void anUnknownSubcommandNamesItsParent() {
        CliRunner.Result r = CliRunner.run("eval", "paint", "--help");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("diffusion4j: error: unknown command 'paint' (commands: nll, train-classifier, fid,")
                .endsWith("(see 'diffusion4j eval --help')");
    }

    @Test
    void aKnownCommandsHelpIsStillHelpAndAnUnknownOptionKeepsPicocliMessage() {
        CliRunner.Result help = CliRunner.run("sample", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).startsWith("Usage: diffusion4j sample");
        CliRunner.Result typo = CliRunner.run("sample", "--stepz", "3", "--out", "never-written.png");
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.err()).contains("Unknown options: '--stepz'");
    }
}
