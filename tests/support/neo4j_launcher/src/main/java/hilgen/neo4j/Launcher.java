package hilgen.neo4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilder;
import org.neo4j.harness.Neo4jBuilders;

/**
 * Starts a real Neo4j 5.26 in-process with Bolt on 127.0.0.1 and a random free port, auth off,
 * prints {@code BOLT_URI bolt://127.0.0.1:PORT} on stdout and stays up until it is killed or its
 * stdin is closed (so a test process that dies cannot leave the server behind).
 *
 * <p>Usage: {@code java -cp CLASSPATH hilgen.neo4j.Launcher [WORKING_DIR [COPY_FROM]]}; without a
 * working directory the harness uses a fresh temporary one. {@code COPY_FROM} is a server folder
 * (holding {@code data/databases/neo4j}, e.g. written by {@code neo4j-admin database import full})
 * whose content is copied into the server folder before start.
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) throws Exception {
        Neo4jBuilder builder;
        if (args.length > 0) {
            Path dir = Paths.get(args[0]);
            Files.createDirectories(dir);
            builder = Neo4jBuilders.newInProcessBuilder(dir);
        } else {
            builder = Neo4jBuilders.newInProcessBuilder();
        }
        if (args.length > 1) {
            builder = builder.copyFrom(Paths.get(args[1]));
        }
        Neo4j neo4j = builder
                .withDisabledServer()
                .withConfig(BoltConnector.enabled, true)
                .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", 0))
                .withConfig(GraphDatabaseSettings.auth_enabled, false)
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(neo4j::close, "neo4j-shutdown"));
        System.out.println("BOLT_URI " + neo4j.boltURI());
        System.out.flush();
        waitForStdinClose();
        System.exit(0);
    }

    /** Blocks until stdin reaches end of file (the parent closed it or died). */
    private static void waitForStdinClose() {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // discard: stdin only signals the parent's liveness
            }
        } catch (IOException ignored) {
            // treat a broken stdin like end of file
        }
    }
}
