package gibbon.model;

import gibbon.GibbonException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * The libtorch native libraries on the classpath, and whether one fits this machine. DJL runs
 * offline here, so a platform without bundled natives would otherwise fail inside DJL with a
 * message about downloads; this says which platforms the build carries instead.
 */
public final class LibtorchNatives {
    /** Platforms the build can bundle natives for (Maven profiles in the parent pom). */
    public static final List<String> SUPPORTED = List.of("linux-x86_64", "linux-aarch64", "osx-aarch64");
    /** Where each pytorch-native jar states its version, flavour and platform. */
    private static final String PROPERTIES = "native/lib/pytorch.properties";

    /** One bundled set of natives. */
    public record Bundle(String platform, String flavor, String version, URL source) {}

    private LibtorchNatives() {}

    /** This machine as DJL names platforms: os-arch, e.g. linux-x86_64 or osx-aarch64. */
    public static String platform() {
        return platform(System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String name = os.startsWith("mac") ? "osx" : os.startsWith("win") ? "win" : os.startsWith("linux") ? "linux" : os;
        String arch = osArch.toLowerCase(Locale.ROOT);
        String bits = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch.equals("arm64") ? "aarch64" : arch;
        return name + "-" + bits;
    }

    /** Every natives jar on the classpath. */
    public static List<Bundle> bundled() {
        List<Bundle> bundles = new ArrayList<>();
        try {
            for (URL url : Collections.list(LibtorchNatives.class.getClassLoader().getResources(PROPERTIES))) {
                Properties p = new Properties();
                try (InputStream in = url.openStream()) {
                    p.load(in);
                }
                bundles.add(new Bundle(p.getProperty("classifier", "?"), p.getProperty("flavor", "?"),
                        p.getProperty("version", "?"), url));
            }
        } catch (IOException e) {
            throw GibbonException.model("cannot read the libtorch natives' " + PROPERTIES + ": " + e.getMessage());
        }
        return bundles;
    }

    /**
     * Checks that natives for this machine are there, unless {@code PYTORCH_LIBRARY_PATH} points DJL
     * at an installed libtorch.
     *
     * @throws GibbonException of kind MODEL naming this platform, what the build carries and how to fix it
     */
    public static void require() {
        if (System.getenv("PYTORCH_LIBRARY_PATH") != null) {
            return;
        }
        require(platform(), bundled().stream().map(Bundle::platform).toList());
    }

    static void require(String platform, List<String> bundled) {
        if (bundled.contains(platform)) {
            return;
        }
        String fix = SUPPORTED.contains(platform)
                ? "rebuild on this machine (mvn package picks its natives) or pass -Dgibbon.natives=" + platform
                : "Gibbon's builds carry natives for " + String.join(", ", SUPPORTED)
                        + "; elsewhere set PYTORCH_LIBRARY_PATH to an installed libtorch 2.7.1";
        throw GibbonException.model("no libtorch natives for " + platform + " on the classpath (it has: "
                + (bundled.isEmpty() ? "none" : String.join(", ", bundled)) + "); " + fix);
    }
}
