// One OpenSearch 2.19 node in this JVM, started from the jars tests/opensearch/pom.xml fetches,
// without the distribution: run with Java's single-file source launcher,
//
//   java -cp "JARS/*" tests/opensearch/EmbeddedNode.java path.home=DIR http.port=9200 ...
//
// Every argument is one node setting, key=value. The node runs until the process gets SIGTERM
// (a shutdown hook closes it) or is killed. Bootstrap (its checks, the security manager, JNA)
// is never run on this path, so there is nothing of it to turn off.

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.transport.Netty4Plugin;

public class EmbeddedNode {

    /** Node's constructor that takes plugin classes is protected: this is all the subclass is for. */
    static final class WithPlugins extends Node {
        WithPlugins(Environment environment) {
            super(environment, List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, PainlessPlugin.class), true);
        }
    }

    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("a setting is key=value, not " + arg);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();
        Path home = Path.of(settings.get("path.home"));
        // the node looks for these folders of the distribution; empty, they load nothing
        Files.createDirectories(home.resolve("modules"));
        Files.createDirectories(home.resolve("plugins"));
        Path config = Files.createDirectories(home.resolve("config"));
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), config, () -> settings.get("node.name", "node"));

        Node node = new WithPlugins(environment);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }));
        node.start();
        System.out.println("started " + settings.get("node.name", "node"));
        closed.await();
    }
}
