package gibbon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** reference.conf and the declarations of the keys agree: every default belongs to a declared key. */
class ReferenceConfigTest {
    private static void agree(List<ConfigKey> keys, Config defaults) {
        Set<String> defaulted = keys.stream().filter(k -> !k.required() && k != Settings.ATTACK_TYPE)
                .map(ConfigKey::path).collect(Collectors.toCollection(TreeSet::new));
        Set<String> present = keys.stream().filter(k -> defaults.hasPathOrNull(k.path())).map(ConfigKey::path)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(defaulted, present, "keys with a default in reference.conf");
        Set<String> declared = keys.stream().map(ConfigKey::path).collect(Collectors.toSet());
        Set<String> sections = defaults.root().keySet().stream()
                .flatMap(top -> defaults.getValue(top).valueType() == ConfigValueType.OBJECT
                        && !declared.contains(top)
                        ? defaults.getObject(top).keySet().stream().map(child -> top + "." + child)
                        : Stream.of(top))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(present, sections, "every default in reference.conf belongs to a declared key");
    }

    @Test
    void experimentDefaultsAreDeclared() {
        agree(Settings.ALL, ReferenceConfig.experiment());
    }

    @Test
    void attackEntryDefaultsAreDeclared() {
        agree(List.of(Settings.ATTACK_TYPE, Settings.ATTACK_EPSILONS, Settings.ATTACK_ENABLED, Settings.ATTACK_SEARCH,
                Settings.ATTACK_PRECISION), ReferenceConfig.attackEntry());
    }

    @Test
    void trainingDefaultsAreDeclared() {
        agree(TrainingSettings.ALL, ReferenceConfig.training());
    }

    @Test
    void requiredKeysHaveNoDefault() {
        assertFalse(ReferenceConfig.experiment().hasPath(Settings.MODEL_URI.path()));
        assertFalse(ReferenceConfig.experiment().hasPath(Settings.ATTACKS.path()));
        assertFalse(ReferenceConfig.training().hasPath(TrainingSettings.OUTPUT.path()));
    }
}
