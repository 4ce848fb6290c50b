package gibbon.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import gibbon.GibbonException;
import gibbon.attack.AttackParameter;
import gibbon.attack.AttackParams;
import gibbon.attack.AttackPlan;
import gibbon.attack.AttackRegistry;
import gibbon.attack.AttackType;
import gibbon.attack.EpsilonSweep;
import gibbon.attack.Norm;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The {@code attacks} part of an experiment config: one {@link AttackPlan} per enabled entry. The
 * attack's parameters are filled by {@link AttackType#params}, the keys every entry has from
 * {@link ReferenceConfig#attackEntry()}.
 */
public final class AttackSettings {
    private AttackSettings() {}

    /**
     * Reads and checks the {@code attacks} entries.
     *
     * @param c the config
     * @return the enabled entries, in the registry's order of attacks, then by label
     * @throws GibbonException of kind CONFIG naming the key at fault
     */
    public static List<AttackPlan> parse(Config c) {
        ConfigValue value = c.getValue(Settings.ATTACKS.path());
        if (value.valueType() != ConfigValueType.OBJECT) {
            throw GibbonException.config("config key 'attacks': expected " + Settings.ATTACKS.type().description()
                    + ", got " + value.valueType().name().toLowerCase());
        }
        ConfigObject entries = (ConfigObject) value;
        List<AttackPlan> plans = new ArrayList<>();
        for (String label : new TreeMap<>(entries).keySet()) {
            String path = "attacks." + label;
            if (!label.matches("[a-z0-9_-]+")) {
                throw GibbonException.config("config key '" + path
                        + "': attack entry names use only lower-case letters, digits, '_' and '-'");
            }
            ConfigValue entryValue = entries.get(label);
            if (entryValue.valueType() != ConfigValueType.OBJECT) {
                throw GibbonException.config("config key '" + path + "': expected an object with epsilons and parameters");
            }
            AttackPlan plan = plan(path, label, ((ConfigObject) entryValue).toConfig());
            if (plan != null) {
                plans.add(plan);
            }
        }
        if (plans.isEmpty()) {
            throw GibbonException.config("config key 'attacks': no enabled attack (known: " + AttackRegistry.names() + ")");
        }
        plans.sort(Comparator.comparing((AttackPlan p) -> AttackRegistry.names().indexOf(p.type()))
                .thenComparing(AttackPlan::label));
        return plans;
    }

    /** The plans as the resolved config records them: every parameter, defaults included. */
    static ConfigObject render(List<AttackPlan> plans) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (AttackPlan p : plans) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("attack", p.type());
            entry.put("epsilons", p.epsilons());
            entry.put("search", p.search());
            entry.put("precision", p.precision());
            entry.putAll(p.params().values());
            out.put(p.label(), entry);
        }
        return ConfigValueFactory.fromMap(out);
    }

    /** One entry's plan, or null when the entry is disabled. */
    private static AttackPlan plan(String path, String label, Config entry) {
        String typeKey = Settings.ATTACK_TYPE.path();
        String typeName = entry.hasPath(typeKey) ? Values.typed(entry, path, typeKey, ConfigValueType.STRING).toString()
                : label;
        AttackType type = AttackRegistry.find(typeName).orElseThrow(() -> GibbonException.config("config key '"
                + path + (entry.hasPath(typeKey) ? "." + typeKey : "") + "': unknown attack '" + typeName + "'"
                + Suggestions.didYouMean(typeName, AttackRegistry.names()).orElse(" (known: "
                + String.join(", ", AttackRegistry.names()) + ")")));
        Set<String> allowed = new TreeSet<>(List.of(typeKey, Settings.ATTACK_EPSILONS.path(),
                Settings.ATTACK_ENABLED.path(), Settings.ATTACK_SEARCH.path(), Settings.ATTACK_PRECISION.path()));
        type.parameters().forEach(p -> allowed.add(p.name()));
        for (String key : entry.root().keySet()) {
            if (!allowed.contains(key)) {
                throw Values.unknown(path + "." + key, allowed.stream().map(k -> path + "." + k)
                        .collect(Collectors.toCollection(TreeSet::new)));
            }
        }
        Config withDefaults = entry.withFallback(ReferenceConfig.attackEntry());
        String enabled = Settings.ATTACK_ENABLED.path();
        if (!(Boolean) Values.typed(withDefaults, path + "." + enabled, enabled, ConfigValueType.BOOLEAN)) {
            return null;
        }
        if (!entry.hasPath(Settings.ATTACK_EPSILONS.path())) {
            throw GibbonException.config("config key '" + path + ".epsilons' is required: " + Settings.ATTACK_EPSILONS.doc());
        }
        EpsilonSweep epsilons = epsilons(path + ".epsilons", entry, type.norm());
        Map<String, Object> given = new LinkedHashMap<>();
        for (AttackParameter p : type.parameters()) {
            if (entry.hasPath(p.name())) {
                given.put(p.name(), parameter(path + "." + p.name(), entry, p));
            }
        }
        AttackParams params = type.params(path, given);
        String searchKey = Settings.ATTACK_SEARCH.path();
        String search = Values.typed(withDefaults, path + "." + searchKey, searchKey, ConfigValueType.STRING).toString();
        if (!search.equals(AttackPlan.SWEEP) && !search.equals(AttackPlan.BISECT)) {
            throw GibbonException.config("config key '" + path + "." + searchKey + "': '" + search
                    + "' is not sweep or bisect");
        }
        String precisionKey = Settings.ATTACK_PRECISION.path();
        double precision = ((Number) Values.typed(withDefaults, path + "." + precisionKey, precisionKey,
                ConfigValueType.NUMBER)).doubleValue();
        if (!(precision > 0)) {
            throw GibbonException.config("config key '" + path + "." + precisionKey + "' must be positive, got " + precision);
        }
        if (entry.hasPath(precisionKey) && search.equals(AttackPlan.SWEEP)) {
            throw GibbonException.config("config key '" + path + "." + precisionKey + "' is the bisection's precision,"
                    + " but '" + path + "." + searchKey + "' is sweep; set it to bisect or drop the precision");
        }
        return new AttackPlan(label, type.name(), params, epsilons, search, precision);
    }

    /**
     * The budgets of an entry, with the clean point 0.
     *
     * @param path how messages name the key, e.g. {@code attacks.pgd.epsilons}
     */
    private static EpsilonSweep epsilons(String path, Config entry, Norm norm) {
        ConfigValue raw = entry.getValue(Settings.ATTACK_EPSILONS.path());
        List<Double> out = new ArrayList<>();
        if (raw.valueType() == ConfigValueType.NUMBER) {
            out.add(((Number) raw.unwrapped()).doubleValue());
        } else if (raw.valueType() == ConfigValueType.LIST) {
            for (Object o : (List<?>) raw.unwrapped()) {
                if (!(o instanceof Number n)) {
                    throw GibbonException.config("config key '" + path + "': expected a list of numbers, found '" + o + "'");
                }
                out.add(n.doubleValue());
            }
        } else {
            throw GibbonException.config("config key '" + path + "': expected a list of numbers, got "
                    + raw.valueType().name().toLowerCase());
        }
        if (out.isEmpty()) {
            throw GibbonException.config("config key '" + path + "': the list is empty");
        }
        for (double e : out) {
            if (!(e >= 0) || Double.isInfinite(e)) {
                throw GibbonException.config("config key '" + path + "': epsilon " + e + " is negative or not a number");
            }
            if (norm == Norm.LINF && e > 1) {
                throw GibbonException.config("config key '" + path + "': epsilon " + e
                        + " exceeds 1, the whole [0, 1] pixel range, for an L-infinity attack");
            }
        }
        if (out.stream().distinct().count() != out.size()) {
            throw GibbonException.config("config key '" + path + "': epsilon values repeat");
        }
        // Every curve starts at the clean point; it costs nothing (the clean pass is shared).
        return EpsilonSweep.withClean(out);
    }

    private static Object parameter(String path, Config entry, AttackParameter p) {
        if (p.type() == Boolean.class) {
            return Values.typed(entry, path, p.name(), ConfigValueType.BOOLEAN);
        }
        if (p.type() == String.class) {
            // A bare number (target = 3) is as good as a string here.
            ConfigValue v = entry.getValue(p.name());
            String text = v.valueType() == ConfigValueType.NUMBER || v.valueType() == ConfigValueType.STRING
                    ? v.unwrapped().toString() : null;
            if (text == null || !text.matches(p.pattern())) {
                throw GibbonException.config("config key '" + path + "': expected " + p.pattern().replace("|", " | ")
                        + ", got " + Values.describe(v));
            }
            return text;
        }
        Number n = (Number) Values.typed(entry, path, p.name(), ConfigValueType.NUMBER);
        if (p.type() == Integer.class && (n.doubleValue() != Math.rint(n.doubleValue()) || Math.abs(n.doubleValue()) > Integer.MAX_VALUE)) {
            throw GibbonException.config("config key '" + path + "': expected an integer, got " + n);
        }
        if (p.minimum() != null && n.doubleValue() < p.minimum()) {
            throw GibbonException.config("config key '" + path + "' is " + n + ", must be at least "
                    + (p.type() == Integer.class ? String.valueOf(p.minimum().intValue()) : String.valueOf(p.minimum())));
        }
        return p.type() == Integer.class ? (Object) n.intValue() : (Object) n.doubleValue();
    }
}
