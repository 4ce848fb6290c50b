package gibbon.cli;

import gibbon.attack.AttackParameter;
import gibbon.attack.AttackRegistry;
import gibbon.attack.AttackType;
import picocli.CommandLine.Command;

/**
 * {@code gibbon attacks}: lists every registered attack with its threat model, whether it needs
 * gradients, and its parameters with their defaults.
 */
@Command(name = "attacks", mixinStandardHelpOptions = true,
        description = "List the registered attacks: config name, threat model, gradients, parameters with defaults.")
final class AttacksCommand implements Runnable {
    @Override
    public void run() {
        int width = AttackRegistry.names().stream().mapToInt(String::length).max().orElse(8);
        System.out.printf("%-" + width + "s %-4s %-9s %s%n", "attack", "norm", "gradients", "method");
        for (AttackType t : AttackRegistry.all()) {
            System.out.printf("%-" + width + "s %-4s %-9s %s%n", t.name(), t.norm().tableName(),
                    t.needsGradients() ? "yes" : "no", t.description());
            for (AttackParameter p : t.parameters()) {
                System.out.printf("%" + width + "s   %-19s = %-12s %s%n", "", p.name(), p.defaultValue(), p.doc());
            }
        }
    }
}
