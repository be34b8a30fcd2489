package dev.tokenledger.usage.chaos;

import dev.tokenledger.orchestrator.Main;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * A real {@code ./tokenledger} command ({@code serve --role api}, {@code worker}) in a JVM of its own, configured by
 * its environment as the launcher's would be, for {@link ChildJvm}: the command's first flushed output (where things
 * are, printed once it serves) is followed by {@code READY}.
 */
public final class RoleProcess {
    private RoleProcess() {
    }

    public static void main(String[] args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), false) {
            private boolean ready;

            @Override
            public void flush() {
                super.flush();
                if (!ready) {
                    ready = true;
                    System.out.println("READY");
                    System.out.flush();
                }
            }
        });
        System.exit(cli.execute(args));
    }
}
