package gibbon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.GibbonException;
import gibbon.attack.AttackPlan;
import gibbon.model.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static final Path DEFAULT = Path.of("conf", "default.conf");

    @TempDir
    Path dir;

    @Test
    void loadsTheDefaultConfig() {
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of());
        assertEquals(List.of("fgsm", "pgd", "pgd_l2", "noise"), c.attacks().stream().map(AttackPlan::label).toList());
        AttackPlan pgd = c.attacks().get(1);
        assertEquals(List.of(0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3), pgd.epsilons());
        assertEquals(20, pgd.params().integer("steps"));
        assertEquals(true, pgd.params().flag("random-start"));
        assertEquals(List.of(0.0, 0.5, 1.0, 2.0), c.attacks().get(2).epsilons());
        assertEquals(256, c.batchSize());
        assertEquals("local[*]", c.sparkMaster());
        assertTrue(c.resolvedJson().contains("\"steps\":20"), c.resolvedJson());
    }

    @Test
    void appliesOverrides() {
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of("attacks.pgd.steps=7", "dataset.limit=10",
                "attacks.noise.enabled=false", "attacks.pgd.epsilons=[0.3, 0.1]"));
        assertEquals(10, c.dataset().limit());
        AttackPlan pgd = c.attacks().stream().filter(p -> p.label().equals("pgd")).findFirst().orElseThrow();
        assertEquals(7, pgd.params().integer("steps"));
        assertEquals(List.of(0.0, 0.1, 0.3), pgd.epsilons(), "epsilon 0 is always part of the sweep");
        assertTrue(c.attacks().stream().noneMatch(p -> p.label().equals("noise")));
    }

    @Test
    void entriesMayNameTheirAttack() {
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of("attacks.pgd40 = { attack = pgd, steps = 40, epsilons = [0.1] }"));
        AttackPlan p = c.attacks().stream().filter(a -> a.label().equals("pgd40")).findFirst().orElseThrow();
        assertEquals("pgd", p.type());
        assertEquals(40, p.params().integer("steps"));
    }

    @Test
    void targetedEntriesTakeAClassChoice() {
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of("attacks.pgd_ll = { attack = pgd, target = least-likely,"
                + " epsilons = [0.1] }", "attacks.fgsm.target=3"));
        assertEquals("least-likely", c.attacks().stream().filter(a -> a.label().equals("pgd_ll")).findFirst().orElseThrow()
                .params().text("target"));
        assertEquals("3", c.attacks().get(0).params().text("target"));
        assertEquals("none", c.attacks().stream().filter(a -> a.label().equals("pgd")).findFirst().orElseThrow()
                .params().text("target"));
        String message = fails("attacks.pgd.target=somewhere");
        assertTrue(message.contains("attacks.pgd.target") && message.contains("least-likely"), message);
    }

    private String fails(String... overrides) {
        GibbonException e = assertThrows(GibbonException.class, () -> ConfigLoader.load(DEFAULT, List.of(overrides)));
        assertEquals(GibbonException.Kind.CONFIG, e.kind());
        assertEquals(2, e.exitCode());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void unknownKeySuggestsTheNearestOne() {
        String m = fails("sweep.batch-sise=3");
        assertTrue(m.contains("'sweep.batch-sise'") && m.contains("did you mean 'sweep.batch-size'"), m);
        assertTrue(fails("datset.limit=3").contains("'datset'"));
    }

    @Test
    void unknownAttackParameterIsNamed() {
        String m = fails("attacks.pgd.stepz=3");
        assertTrue(m.contains("attacks.pgd.stepz") && m.contains("attacks.pgd.steps"), m);
    }

    @Test
    void wrongTypeIsNamed() {
        String m = fails("sweep.batch-size=lots");
        assertTrue(m.contains("sweep.batch-size") && m.contains("expected an integer"), m);
        assertTrue(fails("attacks.pgd.steps=many").contains("attacks.pgd.steps"));
        assertTrue(fails("attacks.pgd.random-start=maybe").contains("true or false"));
    }

    @Test
    void epsilonChecks() {
        assertTrue(fails("attacks.fgsm.epsilons=[0.1, -0.1]").contains("negative"));
        String m = fails("attacks.pgd.epsilons=[1.5]");
        assertTrue(m.contains("attacks.pgd.epsilons") && m.contains("exceeds 1"), m);
        assertEquals(3, ConfigLoader.load(DEFAULT, List.of("attacks.pgd_l2.epsilons=[0, 1.5, 3]")).attacks().get(2)
                .epsilons().size(), "L2 budgets above 1 are meaningful");
        assertTrue(fails("attacks.fgsm.epsilons=[]").contains("empty"));
        assertTrue(fails("attacks.fgsm.epsilons=[0.1, 0.1]").contains("repeat"));
    }

    @Test
    void parameterBounds() {
        assertTrue(fails("attacks.pgd.steps=0").contains("at least 1"));
        assertTrue(fails("sweep.batch-size=0").contains("at least 1"));
        assertTrue(fails("sweep.batch-size=10000000").contains("at most"));
        assertTrue(fails("dataset.limit=-5").contains("0 or more"));
    }

    @Test
    void unknownAttackListsTheKnownOnes() {
        String m = fails("attacks.carlini = { epsilons = [1] }");
        assertTrue(m.contains("unknown attack 'carlini'") && m.contains("pgd_l2"), m);
    }

    @Test
    void anAttackEntryWrittenTwiceIsAnError() throws IOException {
        Path twice = dir.resolve("twice.conf");
        Files.writeString(twice, "include \"" + DEFAULT.toAbsolutePath() + "\"\n# pgd { } in a comment\nattacks {\n"
                + "  fgsm { epsilons = [0.1], note = \"pgd {\" }\n  pgd {\n    epsilons = [0.1]\n  }\n"
                + "  pgd { steps = 5 }\n}\n");
        GibbonException e = assertThrows(GibbonException.class, () -> ConfigLoader.load(twice, List.of()));
        assertTrue(e.getMessage().contains("'attacks.pgd' (lines 5 and 8) is written twice"), e.getMessage());
        // Setting one key of an entry by its path, or the same name in another section, is not a duplicate.
        Path fine = dir.resolve("fine.conf");
        Files.writeString(fine, "include \"" + DEFAULT.toAbsolutePath() + "\"\nattacks { pgd { epsilons = [0.1] } }\n"
                + "attacks.pgd.steps = 5\nvars { pgd { } }\nlist = [{ pgd { } }, { pgd { } }]\n");
        assertEquals(Optional.empty(), DuplicateEntries.find(Files.readString(fine), "attacks"));
        for (Path conf : Files.list(Path.of("conf")).filter(p -> p.toString().endsWith(".conf")).toList()) {
            assertEquals(Optional.empty(), DuplicateEntries.find(Files.readString(conf), "attacks"), conf.toString());
        }
    }

    @Test
    void modelsLoadOnlyFromStorageTheUserControls() {
        String m = fails("model.uri=http://example.com/model.pt");
        assertTrue(m.contains("config key 'model.uri'") && m.contains("hdfs:// or s3a://"), m);
        assertTrue(fails("transfer.models.other = { uri = \"ftp://host/m\" }").contains("transfer.models.other.uri"));
        for (String ok : List.of("hdfs://nn:8020/m", "s3a://bucket/m", "file:/tmp/m", "models/m")) {
            assertEquals(ModelSpec.DJL, ConfigLoader.load(DEFAULT, List.of("model.uri=" + ok)).model().format());
        }
    }

    @Test
    void syntaxErrorNamesFileAndLine() throws IOException {
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "dataset {\n  limit = 3\n  images = [\n");
        GibbonException e = assertThrows(GibbonException.class, () -> ConfigLoader.load(bad, List.of()));
        assertTrue(e.getMessage().contains("bad.conf") && e.getMessage().contains("line"), e.getMessage());
    }

    @Test
    void missingFileAndRequiredKey() throws IOException {
        GibbonException e = assertThrows(GibbonException.class, () -> ConfigLoader.load(dir.resolve("none.conf"), List.of()));
        assertTrue(e.getMessage().contains("none.conf: config file not found"), e.getMessage());
        Path partial = dir.resolve("partial.conf");
        Files.writeString(partial, "attacks { fgsm { epsilons = [0.1] } }\nmodel.uri = m\ndataset.labels = l\n");
        e = assertThrows(GibbonException.class, () -> ConfigLoader.load(partial, List.of()));
        assertTrue(e.getMessage().contains("'dataset.images' is required for dataset.format = idx"), e.getMessage());
    }

    @Test
    void setTakesUrisAndMastersWithoutQuotes() {
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of("dataset.images=hdfs://nn:8020/data/x.gz",
                "spark.master=local[2]", "output.warehouse=s3a://bucket/wh#1", "dataset.limit=7"));
        assertEquals("hdfs://nn:8020/data/x.gz", c.dataset().images());
        assertEquals("local[2]", c.sparkMaster());
        assertEquals("s3a://bucket/wh#1", c.warehouse());
        assertEquals(7, c.dataset().limit());
        assertTrue(c.resolvedJson().contains("\"limit\":7"), c.resolvedJson());
    }

    @Test
    void localPathsBecomeAbsoluteOnTheDriver() {
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of());
        assertEquals(Path.of("bundled/models/fashion-cnn").toAbsolutePath().toUri().toString(), c.model().uri());
        assertEquals(Path.of("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz").toAbsolutePath().toUri().toString(),
                c.dataset().images());
        assertTrue(c.model().uri().startsWith("file:/"));
    }

    @Test
    void namesFedIntoSqlMustBeIdentifiers() {
        for (String key : List.of("output.namespace", "output.catalog")) {
            String m = fails(key + "=\"a; DROP TABLE runs\"");
            assertEquals("config key '" + key + "': 'a; DROP TABLE runs' is not an identifier: use letters, digits and"
                    + " '_', starting with a letter or '_'", m);
            assertTrue(fails(key + "=\"1st\"").contains("'" + key + "'"));
            assertTrue(fails(key + "=\"a.b\"").contains("'" + key + "'"));
        }
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of("output.namespace=Robustness_2", "output.catalog=_team"));
        assertEquals("Robustness_2", c.namespace());
        assertEquals("_team", c.catalog());
    }

    @Test
    void badSetSyntax() {
        assertTrue(fails("novalue").contains("expected key=value"));
    }

    @Test
    void credentialsAreNeverStoredInTheRunsConfig() {
        ExperimentConfig c = ConfigLoader.load(DEFAULT, List.of("hadoop.\"fs.s3a.secret.key\"=s3cr3t-value",
                "hadoop.\"fs.s3a.access.key\"=AKIAEXAMPLE", "hadoop.\"fs.s3a.session.token\"=tok-123",
                "output.catalog-properties.password=hunter2", "hadoop.\"fs.s3a.endpoint\"=http://minio:9000"));
        for (String secret : List.of("s3cr3t-value", "AKIAEXAMPLE", "tok-123", "hunter2")) {
            assertTrue(!c.resolvedJson().contains(secret), secret + " leaked into " + c.resolvedJson());
        }
        assertTrue(c.resolvedJson().contains(ConfigLoader.REDACTED) && c.resolvedJson().contains("http://minio:9000"),
                "other values stay: " + c.resolvedJson());
        assertEquals("s3cr3t-value", c.hadoop().get("fs.s3a.secret.key"), "the job itself still gets the credential");
    }
}
