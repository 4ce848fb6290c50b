package gibbon.attack;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/** The validated parameter values of one configured attack, every declared parameter present. */
public record AttackParams(Map<String, Object> values) implements Serializable {
    public AttackParams {
        values = new TreeMap<>(values);
    }

    public int integer(String name) {
        return ((Number) require(name)).intValue();
    }

    public double decimal(String name) {
        return ((Number) require(name)).doubleValue();
    }

    public boolean flag(String name) {
        return (Boolean) require(name);
    }

    public String text(String name) {
        return require(name).toString();
    }

    private Object require(String name) {
        Object v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("attack parameter '" + name + "' is not declared");
        }
        return v;
    }
}
