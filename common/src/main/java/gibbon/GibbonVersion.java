package gibbon;

/** Gibbon's version, from the jar manifest ({@code dev} when run from classes). */
public final class GibbonVersion {
    private GibbonVersion() {}

    public static String get() {
        String v = GibbonVersion.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
