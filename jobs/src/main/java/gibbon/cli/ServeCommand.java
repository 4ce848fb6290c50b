package gibbon.cli;

import gibbon.GibbonException;
import gibbon.Secrets;
import gibbon.config.ExperimentConfig;
import gibbon.jobs.ConnectServer;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code gibbon serve}: a Spark Connect server over the result tables, so that notebooks, BI tools
 * and scripts query them ({@code SparkSession.builder.remote("sc://HOST:PORT")}) without starting a
 * Spark of their own for every query. Each client gets its own session, with the plain table names
 * and the analyst views as in {@code gibbon sql}, read-only by the same rule unless
 * {@code --allow-writes}. It listens on 127.0.0.1 unless told otherwise, and anywhere else only with
 * Spark Connect's token set ({@value ConnectServer#TOKEN_VARIABLE}). It prints its endpoint and
 * serves until interrupted.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = {
        "Serve the result tables over Spark Connect (sc://HOST:PORT) until interrupted (Ctrl-C).",
        "Clients: PySpark SparkSession.builder.remote(\"sc://127.0.0.1:15002\"), or Spark Connect's JVM client.",
        "Each client gets its own session: plain table names, the views of gibbon sql, read-only unless --allow-writes.",
        "Listening beyond this machine (--host) needs a token: set " + ConnectServer.TOKEN_VARIABLE
                + "; clients pass it in their URL (see docs/queries.md)."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
    String host;

    @Option(names = "--port", defaultValue = "" + ConnectServer.DEFAULT_PORT, paramLabel = "PORT",
            description = "Port to listen on (default: ${DEFAULT-VALUE}, Spark Connect's; 0: any free port).")
    int port;

    @Option(names = "--allow-writes", description = "Allow statements and DataFrame writes other than reads; off by default.")
    boolean allowWrites;

    @Mixin
    ResultTablesOptions results;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw GibbonException.config("serve --port " + port + ": not a port (0 to 65535)");
        }
        InetAddress address = address(host);
        ResultTablesOptions.Opened opened = results.open(config -> {
            requireTokenBeyondLoopback(address, config);
            return ConnectServer.served(config, host, port);
        });
        int listening = listen(opened);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ConnectServer.stop();
            System.err.println("gibbon serve: stopped");
        }, "gibbon-serve-stop"));
        ExperimentConfig config = opened.config();
        System.out.println(Secrets.redact("gibbon serve: sc://" + urlHost(address) + ":" + listening
                + (allowWrites ? " (writes allowed" : " (read-only") + (tokenSet(config) ? ", token required)" : ")")
                + " over catalog " + config.catalog() + " (" + config.catalogType() + "), warehouse "
                + config.warehouse() + ", namespace " + config.namespace() + "; Ctrl-C stops"));
        System.out.flush();
        ConnectServer.awaitTermination();
        return 0;
    }

    /** Starts the server; an address or port that cannot be had is the user's to change. */
    private int listen(ResultTablesOptions.Opened opened) {
        try {
            return ConnectServer.start(opened.spark(), !allowWrites);
        } catch (Exception e) {
            // Scala throws the BindException undeclared.
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BindException) {
                    throw GibbonException.config("serve --host " + host + " --port " + port + ": cannot listen there"
                            + " (the port is taken, or the address is not this machine's); --port 0 takes any free port");
                }
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }

    private static InetAddress address(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw GibbonException.config("serve --host " + host + ": unknown host");
        }
    }

    /** Beyond this machine anyone who reaches the port could read (or write) the tables: a token is required. */
    private static void requireTokenBeyondLoopback(InetAddress address, ExperimentConfig config) {
        if (!address.isLoopbackAddress() && !tokenSet(config)) {
            throw GibbonException.config("serve --host " + address.getHostAddress() + " listens beyond this machine:"
                    + " set a token in " + ConnectServer.TOKEN_VARIABLE + ", which clients then pass in their URL");
        }
    }

    private static boolean tokenSet(ExperimentConfig config) {
        String variable = ResultTablesOptions.environment.apply(ConnectServer.TOKEN_VARIABLE);
        String setting = config.sparkConf().get(ConnectServer.TOKEN_SETTING);
        return (variable != null && !variable.isBlank()) || (setting != null && !setting.isBlank());
    }

    /** The address as a URL's host; a wildcard address says the loopback one, which clients here can reach. */
    private static String urlHost(InetAddress address) {
        InetAddress shown = address.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : address;
        return shown instanceof Inet6Address ? "[" + shown.getHostAddress() + "]" : shown.getHostAddress();
    }
}
