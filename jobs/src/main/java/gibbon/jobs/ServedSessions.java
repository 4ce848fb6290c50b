package gibbon.jobs;

import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.TableIdentifier;
import org.apache.spark.sql.catalyst.analysis.CTESubstitution$;
import org.apache.spark.sql.catalyst.analysis.UnresolvedRelation;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.parser.ParameterContext;
import org.apache.spark.sql.catalyst.parser.ParseException;
import org.apache.spark.sql.catalyst.parser.ParserInterface;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias$;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import scala.collection.immutable.Seq;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * The Spark session extensions of {@code gibbon serve} ({@code spark.sql.extensions}), in every
 * session of the server, so in each Spark Connect client's own session:
 * <ul>
 *   <li>the analyst views ({@link AnalystViews}) answer by name, as a resolution rule: a client's
 *       session is new and empty, and the views could not be stored in the catalog (the Hadoop
 *       catalog stores no views, and a shared catalog is not the server's to write); a temporary
 *       view of the same name, made by the client, wins;
 *   <li>once {@link #guard} is called, the rule of {@link ReadOnlyStatements}: SQL text is checked
 *       as it is parsed (before a CALL, which runs during analysis), and every analyzed plan, so
 *       that a DataFrame write ({@code df.writeTo(...)}, {@code df.write().saveAsTable(...)}), which
 *       arrives as a plan without SQL, is refused too.
 * </ul>
 */
public final class ServedSessions extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
    /**
     * Whether the sessions refuse writes. Off until the server opens, so that Gibbon's own session
     * can create missing result tables first; the server's JVM serves one catalog with one rule.
     */
    private static volatile boolean readOnly;

    /** Spark instantiates extensions by their no-argument constructor. */
    public ServedSessions() {}

    /** From now on every session of this JVM refuses what {@link ReadOnlyStatements} refuses. */
    static void guard() {
        readOnly = true;
    }

    @Override
    public BoxedUnit apply(SparkSessionExtensions extensions) {
        extensions.injectParser((session, parser) -> new ReadOnlyParser(parser));
        extensions.injectCheckRule(session -> plan -> {
            if (readOnly) {
                ReadOnlyStatements.requireReading(plan);
            }
            return BoxedUnit.UNIT;
        });
        extensions.injectResolutionRule(AnalystViewsRule::new);
        return BoxedUnit.UNIT;
    }

    /** Resolves a one-part name of an analyst view, not shadowed by a temporary view, to the view's query. */
    private static final class AnalystViewsRule extends Rule<LogicalPlan> {
        private static final Map<String, String> VIEWS = AnalystViews.definitions(null);
        private final SparkSession session;

        AnalystViewsRule(SparkSession session) {
            this.session = session;
        }

        @Override
        public LogicalPlan apply(LogicalPlan plan) {
            if (plan instanceof UnresolvedRelation relation && relation.multipartIdentifier().size() == 1) {
                String name = relation.multipartIdentifier().head().toLowerCase(Locale.ROOT);
                String select = VIEWS.get(name);
                if (select != null && session.sessionState().catalog().getTempView(name).isEmpty()) {
                    try {
                        // The WITH of a view is substituted here: the analyzer's own substitution ran before.
                        LogicalPlan query = CTESubstitution$.MODULE$.apply(session.sessionState().sqlParser().parseQuery(select));
                        return SubqueryAlias$.MODULE$.apply(name, query);
                    } catch (ParseException e) {
                        throw new IllegalStateException("the view " + name + " does not parse", e);
                    }
                }
                return plan;
            }
            // Subqueries in expressions are analyzed on their own, by this rule too.
            return plan.mapChildren(this::apply);
        }
    }

    /** The session's parser, refusing statements that do not only read once the server is guarded. */
    private static final class ReadOnlyParser implements ParserInterface {
        private final ParserInterface delegate;

        ReadOnlyParser(ParserInterface delegate) {
            this.delegate = delegate;
        }

        private void check(String sql) throws ParseException {
            if (readOnly) {
                ReadOnlyStatements.require(delegate, sql);
            }
        }

        @Override
        public LogicalPlan parsePlan(String sql) throws ParseException {
            check(sql);
            return delegate.parsePlan(sql);
        }

        @Override
        public LogicalPlan parsePlanWithParameters(String sql, ParameterContext parameters) throws ParseException {
            check(sql);
            return delegate.parsePlanWithParameters(sql, parameters);
        }

        @Override
        public LogicalPlan parseQuery(String sql) throws ParseException {
            return delegate.parseQuery(sql);
        }

        @Override
        public Expression parseExpression(String sql) throws ParseException {
            return delegate.parseExpression(sql);
        }

        @Override
        public TableIdentifier parseTableIdentifier(String sql) throws ParseException {
            return delegate.parseTableIdentifier(sql);
        }

        @Override
        public FunctionIdentifier parseFunctionIdentifier(String sql) throws ParseException {
            return delegate.parseFunctionIdentifier(sql);
        }

        @Override
        public Seq<String> parseMultipartIdentifier(String sql) throws ParseException {
            return delegate.parseMultipartIdentifier(sql);
        }

        @Override
        public StructType parseRoutineParam(String sql) throws ParseException {
            return delegate.parseRoutineParam(sql);
        }

        @Override
        public StructType parseTableSchema(String sql) throws ParseException {
            return delegate.parseTableSchema(sql);
        }

        @Override
        public DataType parseDataType(String sql) throws ParseException {
            return delegate.parseDataType(sql);
        }
    }
}
