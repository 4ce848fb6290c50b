package gibbon.cli;

import gibbon.attack.AttackParameter;
import gibbon.attack.AttackRegistry;
import gibbon.attack.AttackType;
import picocli.CommandLine.Command;

/** {@code gibbon attacks}: lists every registered attack with its parameters and defaults. */
@Command(name = "attacks", mixinStandardHelpOptions = true,
        description = "List the registered attacks: config name, threat model, parameters with defaults.")
final class AttacksCommand implements Runnable {
    @Override
    public void run() {
        for (AttackType t : AttackRegistry.all()) {
            System.out.printf("%-8s %-4s %s%s%n", t.name(), t.norm().tableName(), t.description(),
                    t.needsGradients() ? "" : " [no gradients]");
            for (AttackParameter p : t.parameters()) {
                System.out.printf("           %-19s = %-6s %s%n", p.name(), p.defaultValue(), p.doc());
            }
        }
    }
}
