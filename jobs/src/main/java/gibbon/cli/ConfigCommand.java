package gibbon.cli;

import com.typesafe.config.Config;
import gibbon.config.ConfigKey;
import gibbon.config.ReferenceConfig;
import gibbon.config.Settings;
import gibbon.config.TrainingSettings;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * {@code gibbon config}: the reference of every config key, from the declarations (meaning) and
 * {@code reference.conf} (defaults).
 */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "List every config key with its type, default and meaning (attack parameters: gibbon attacks).")
final class ConfigCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("Experiment keys (gibbon run, gibbon sql):");
        print(Settings.ALL, ReferenceConfig.experiment());
        System.out.println();
        System.out.println("Keys of each entry under 'attacks' (besides the attack's own parameters):");
        print(List.of(Settings.ATTACK_TYPE, Settings.ATTACK_EPSILONS, Settings.ATTACK_ENABLED, Settings.ATTACK_SEARCH,
                Settings.ATTACK_PRECISION), ReferenceConfig.attackEntry());
        System.out.println();
        System.out.println("Training keys (gibbon train):");
        print(TrainingSettings.ALL, ReferenceConfig.training());
    }

    private static void print(List<ConfigKey> keys, Config defaults) {
        for (ConfigKey k : keys) {
            String value = k.required() ? "(required)"
                    : defaults.hasPath(k.path()) ? "= " + defaults.getValue(k.path()).unwrapped() : "(optional)";
            System.out.printf("  %-26s %-14s %s%n", k.path(), value, k.doc());
        }
    }
}
