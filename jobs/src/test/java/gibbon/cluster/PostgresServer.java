package gibbon.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server: the distribution's server binaries (Debian: package
 * {@code postgresql}), a new cluster in a temporary folder, listening on 127.0.0.1 at a free port
 * (its socket file in that folder), password logins only (SCRAM). initdb refuses to run as root,
 * so under root the server runs as the {@code postgres} user.
 */
final class PostgresServer implements AutoCloseable {
    private static final String SERVICE_USER = "postgres";

    private final Path bin;
    private final Path dir;
    private final boolean asServiceUser;
    private final int port;
    private final String user;
    private final String password;
    private boolean running;

    /** Creates a cluster whose superuser is {@code user} with {@code password}, and starts it. */
    PostgresServer(String user, String password) throws IOException, InterruptedException {
        this.bin = binaries();
        this.user = user;
        this.password = password;
        this.asServiceUser = "root".equals(System.getProperty("user.name"));
        this.dir = Files.createTempDirectory("gibbon-pg-");
        this.port = freePort();
        Path passwordFile = dir.resolve("password");
        Files.writeString(passwordFile, password + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        if (asServiceUser) {
            UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(dir, users.lookupPrincipalByName(SERVICE_USER));
            Files.setOwner(passwordFile, users.lookupPrincipalByName(SERVICE_USER));
        }
        exec(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", user,
                "--pwfile=" + passwordFile, "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"));
        Files.delete(passwordFile);
        start();
    }

    /** Starts the server; returns once it accepts connections. */
    private void start() throws IOException, InterruptedException {
        exec(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
                dir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
                "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", "start"));
        running = true;
    }

    /** Stops the server at once (clients are cut off). */
    void stop() throws IOException, InterruptedException {
        if (running) {
            exec(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate",
                    "-w", "stop"));
            running = false;
        }
    }

    int port() {
        return port;
    }

    /** The JDBC URI of a database on this server. */
    String uri(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Creates a database owned by the superuser. */
    void createDatabase(String database) throws SQLException {
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
    }

    Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(uri(database), user, password);
    }

    /** The server binaries: the newest of Debian's versioned folders, else initdb on the PATH. */
    private static Path binaries() {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            Path newest = versions.filter(v -> v.getFileName().toString().matches("\\d+"))
                    .map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString())))
                    .orElse(null);
            if (newest != null) {
                return newest;
            }
        } catch (IOException e) {
            // No Debian layout: look on the PATH.
        }
        for (String entry : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, "initdb")) && Files.isExecutable(Path.of(entry, "pg_ctl"))) {
                return Path.of(entry);
            }
        }
        throw new IllegalStateException("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql"
                + " or on the PATH: install them (Debian: apt-get install postgresql)");
    }

    private void exec(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asServiceUser) {
            full.addAll(List.of("setpriv", "--reuid=" + SERVICE_USER, "--regid=" + SERVICE_USER, "--init-groups"));
        }
        full.addAll(command);
        Path log = Files.createTempFile("gibbon-pg-command", ".log");
        try {
            Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " did not finish in 90 s:\n" + Files.readString(log));
            }
            if (p.exitValue() != 0) {
                Path serverLog = dir.resolve("server.log");
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n"
                        + Files.readString(log) + (Files.exists(serverLog) ? Files.readString(serverLog) : ""));
            }
        } finally {
            Files.deleteIfExists(log);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Stops the server and deletes its folder. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            stop();
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
