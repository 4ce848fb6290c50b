package gibbon.cli;

import java.util.concurrent.Callable;

/**
 * A {@code gibbon} subcommand that ships outside the product jar, such as {@code gibbon bench}
 * (module bench): {@link GibbonCommand} adds each one it finds on the classpath, registered as a
 * {@link java.util.ServiceLoader} service, so the spark-submit jar carries none of them.
 */
public interface AddOnCommand extends Callable<Integer> {}
