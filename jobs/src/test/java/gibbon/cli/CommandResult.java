package gibbon.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The exit code and captured output of one in-process {@code gibbon} command. */
record CommandResult(int exitCode, String out, String err) {
    /** Stderr without the line sql, report and export open with, naming the catalog they read. */
    String errors() {
        return err.lines().filter(l -> !l.matches("gibbon \\w+: reading catalog .*"))
                .map(l -> l + "\n").collect(java.util.stream.Collectors.joining());
    }

    static CommandResult run(String... args) {
        return runWithInput(null, args);
    }

    /** Runs with {@code stdin} (when not null) as the command's standard input. */
    static synchronized CommandResult runWithInput(String stdin, String... args) {
        java.io.InputStream oldIn = System.in;
        if (stdin != null) {
            System.setIn(new java.io.ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        }
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            code = GibbonCommand.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
        CommandResult r = new CommandResult(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        oldOut.println("$ gibbon " + String.join(" ", args) + "\n" + r.out + r.err + "[exit " + code + "]");
        return r;
    }
}
