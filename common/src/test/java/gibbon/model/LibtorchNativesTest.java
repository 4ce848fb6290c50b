package gibbon.model;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.GibbonException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which libtorch natives the build carries, and the one-line error on a machine they do not fit. */
class LibtorchNativesTest {
    @Test
    void platformsAreNamedAsDjlNamesThem() {
        assertEquals("linux-x86_64", LibtorchNatives.platform("Linux", "amd64"));
        assertEquals("linux-aarch64", LibtorchNatives.platform("Linux", "aarch64"));
        assertEquals("osx-aarch64", LibtorchNatives.platform("Mac OS X", "aarch64"));
        assertEquals("osx-x86_64", LibtorchNatives.platform("Mac OS X", "x86_64"));
        assertEquals("win-x86_64", LibtorchNatives.platform("Windows 11", "amd64"));
    }

    @Test
    void thisBuildCarriesNativesForThisMachine() {
        List<LibtorchNatives.Bundle> bundles = LibtorchNatives.bundled();
        assertTrue(bundles.stream().anyMatch(b -> b.platform().equals(LibtorchNatives.platform())
                && b.flavor().equals("cpu") && b.version().startsWith("2.7.1")), bundles.toString());
        assertDoesNotThrow(() -> LibtorchNatives.require());
    }

    @Test
    void aPlatformWithoutNativesGetsOneLineSayingWhatToDo() {
        GibbonException supported = assertThrows(GibbonException.class,
                () -> LibtorchNatives.require("osx-aarch64", List.of("linux-x86_64")));
        assertEquals(GibbonException.Kind.MODEL, supported.kind());
        assertEquals("no libtorch natives for osx-aarch64 on the classpath (it has: linux-x86_64); rebuild on this machine"
                + " (mvn package picks its natives) or pass -Dgibbon.natives=osx-aarch64", supported.getMessage());
        GibbonException unsupported = assertThrows(GibbonException.class,
                () -> LibtorchNatives.require("osx-x86_64", List.of("linux-x86_64")));
        assertTrue(unsupported.getMessage().contains("linux-x86_64, linux-aarch64, osx-aarch64")
                && unsupported.getMessage().contains("PYTORCH_LIBRARY_PATH"), unsupported.getMessage());
        assertDoesNotThrow(() -> LibtorchNatives.require("linux-aarch64", List.of("linux-x86_64", "linux-aarch64")));
    }
}
